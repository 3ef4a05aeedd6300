namespace AgentKanban.Core.Policies;

/// <summary>Where a pause window's end came from. Stored as these numbers; never renumber.</summary>
public enum PauseSource
{
    /// <summary>The provider named its reset time.</summary>
    ProviderReset = 1,
    /// <summary>Rejected without a reset time (or the assistant's rate-limit fallback): the default window.</summary>
    NoResetGiven = 2,
    /// <summary>The provider's reset time had already passed: a short, capped backoff.</summary>
    PastResetBackoff = 3,
}

/// <summary>
/// A runtime's pause window, stored by the daemon. Nothing new is dispatched to the runtime and its
/// rate-limited sessions do not resume until <see cref="RateLimitPolicy.EffectiveUntil"/> has passed.
/// </summary>
/// <param name="DecidedAt">When the window was decided, on this machine's clock (caps waits if the clock jumps back).</param>
/// <param name="PastResetStreak">How many rejections in a row came with a reset time already in the past.</param>
/// <param name="Window">
/// The provider's name of the usage window that rejected (<c>five_hour</c>, <c>seven_day</c>, …); null when it named none
/// (a rate-limit error without a structured report). Only an "allowed" report for this same window lifts the pause early.
/// </param>
public sealed record RuntimePause(DateTimeOffset Until, PauseSource Source, DateTimeOffset DecidedAt, int PastResetStreak = 0, string? Window = null);
