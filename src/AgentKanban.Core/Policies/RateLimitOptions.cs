namespace AgentKanban.Core.Policies;

public sealed record RateLimitOptions
{
    public static RateLimitOptions Default { get; } = new();

    /// <summary>Pause length when the provider rejects without saying when it resets.</summary>
    public TimeSpan UnknownResetWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>First wait when the provider's reset time is already in the past (a wrong clock on one side).</summary>
    public TimeSpan PastResetBaseBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Cap of that wait, so a persistent clock skew costs at most this per attempt and never storms.</summary>
    public TimeSpan PastResetMaxBackoff { get; init; } = TimeSpan.FromMinutes(5);
}
