namespace AgentKanban.Core.Policies;

/// <param name="BaseDelay">Wait after the first failure; doubles with each further one.</param>
/// <param name="MaxDelay">No wait is longer than this.</param>
/// <param name="MaxAttempts">Give up after this many failures; 0 retries forever (outbox deliveries).</param>
/// <param name="JitterFraction">Up to this share of each wait is taken off at random, so retries spread out.</param>
public sealed record RetryOptions(TimeSpan BaseDelay, TimeSpan MaxDelay, int MaxAttempts, double JitterFraction)
{
    /// <summary>A session that failed transiently: 30 s doubling to 30 min, at most 8 tries.</summary>
    public static RetryOptions AgentRun { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(30), 8, 0.2);

    /// <summary>Delivering a report to the server: 1 s doubling to 5 min, until acknowledged.</summary>
    public static RetryOptions Outbox { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), 0, 0.2);

    /// <summary>A resume that could not start yet (server unreachable, reopen failed): 5 s doubling to 5 min.</summary>
    public static RetryOptions Resume { get; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), 0, 0.2);
}
