using AgentKanban.Core.Policies;

namespace AgentKanban.Daemon.Infrastructure;

/// <summary>The daemon's own capped doubling waits, for <see cref="RetryPolicy.Delay"/>.</summary>
internal static class Backoffs
{
    /// <summary>
    /// Reaching the board server again (registering the machine at start, the event stream after a drop): 1 s doubling
    /// to 30 s, without jitter.
    /// </summary>
    public static readonly RetryOptions ServerReconnect = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), MaxAttempts: 0, JitterFraction: 0);
}
