using AgentKanban.Core.Events;

namespace AgentKanban.Core.Policies;

/// <summary>
/// The rate-limit rules (pause until the reset the provider names, resume on time) as pure timing math:
/// <list type="bullet">
/// <item>rejected → pause until the later of the main reset and the overage reset (the latter only when
/// overage is rejected too); no reset given → now + 1 h;</item>
/// <item>longest window wins: a new signal never shortens a pause in force (so a fallback signal never
/// shortens a known window);</item>
/// <item>a reset already in the past → a short backoff that doubles per repeat and is capped — no fixed floor;</item>
/// <item>allowed (or allowed_warning) not on overage → clear the pause, but only when it names the window that was
/// rejected: the provider keeps several windows (five hours, seven days, per model), and one being fine says nothing
/// about another; allowed on overage → keep dispatch paused.</item>
/// </list>
/// </summary>
public static class RateLimitPolicy
{
    public static RateLimitDecision Decide(RateLimitEvent signal, RuntimePause? current, DateTimeOffset now, RateLimitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        options ??= RateLimitOptions.Default;
        switch (signal.Status)
        {
            case RateLimitStatus.Rejected:
                return Merge(current, Candidate(signal, current, now, options), now);
            case RateLimitStatus.Allowed or RateLimitStatus.AllowedWarning when signal.IsUsingOverage:
                return new(RateLimitAction.Keep, Active(current, now), "allowed on overage: dispatch stays paused");
            case RateLimitStatus.Allowed or RateLimitStatus.AllowedWarning
                when Active(current, now) is { } active && !SameWindow(active.Window, signal.RateLimitType):
                return new(RateLimitAction.Keep, active,
                    $"allowed for the {WindowName(signal.RateLimitType)} window; the {WindowName(active.Window)} window that rejected still does");
            case RateLimitStatus.Allowed or RateLimitStatus.AllowedWarning:
                return new(RateLimitAction.Clear, null, "allowed again");
            default:
                return new(RateLimitAction.Keep, Active(current, now), "unknown rate-limit status");
        }
    }

    /// <summary>
    /// Whether an "allowed" report about <paramref name="allowedWindow"/> speaks for the window that rejected. Windows are
    /// told apart by the provider's name for them; a report that names none matches only a rejection that named none
    /// (a provider with a single, unnamed window), never a named one.
    /// </summary>
    public static bool SameWindow(string? rejectedWindow, string? allowedWindow) =>
        string.Equals(rejectedWindow, allowedWindow, StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="signal"/> lifts a rejection of <paramref name="rejectedWindow"/> for the run that got it:
    /// allowed (on overage or not: the run goes on, paid if need be) for that same window.
    /// </summary>
    public static bool Lifts(RateLimitEvent signal, string? rejectedWindow)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return signal.Status is RateLimitStatus.Allowed or RateLimitStatus.AllowedWarning && SameWindow(rejectedWindow, signal.RateLimitType);
    }

    /// <summary>The assistant's rate-limit error without a structured report: rejected, reset unknown.</summary>
    public static RateLimitDecision DecideFallback(RuntimePause? current, DateTimeOffset now, RateLimitOptions? options = null)
    {
        options ??= RateLimitOptions.Default;
        return Merge(current, new RuntimePause(now + options.UnknownResetWindow, PauseSource.NoResetGiven, now), now);
    }

    /// <summary>The pause window a rejection asks for, before merging with the one in force.</summary>
    public static RuntimePause Candidate(RateLimitEvent signal, RuntimePause? current, DateTimeOffset now, RateLimitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        options ??= RateLimitOptions.Default;

        DateTimeOffset? reset = signal.ResetsAt;
        if (signal.OverageStatus == RateLimitStatus.Rejected && signal.OverageResetsAt is { } overage
            && (reset is null || overage > reset))
        {
            reset = overage;
        }

        var window = signal.RateLimitType;
        if (reset is null)
        {
            return new(now + options.UnknownResetWindow, PauseSource.NoResetGiven, now, Window: window);
        }

        if (reset > now)
        {
            return new(reset.Value, PauseSource.ProviderReset, now, Window: window);
        }

        // The provider says the window already reset, yet it rejected: one clock is wrong. Retry soon,
        // but back off per repeat so a skewed clock cannot turn into a retry storm.
        var streak = (current?.PastResetStreak ?? 0) + 1;
        return new(now + PastResetBackoff(streak, options), PauseSource.PastResetBackoff, now, streak, window);
    }

    public static TimeSpan PastResetBackoff(int streak, RateLimitOptions? options = null)
    {
        options ??= RateLimitOptions.Default;
        var baseTicks = options.PastResetBaseBackoff.Ticks;
        var maxTicks = options.PastResetMaxBackoff.Ticks;
        var exponent = Math.Clamp(streak - 1, 0, 30);
        var ticks = baseTicks > maxTicks >> exponent ? maxTicks : baseTicks << exponent;
        return TimeSpan.FromTicks(Math.Min(ticks, maxTicks));
    }

    /// <summary>Longest window wins: the candidate replaces the pause in force only if it ends later.</summary>
    public static RateLimitDecision Merge(RuntimePause? current, RuntimePause candidate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var active = Active(current, now);
        if (active is not null && EffectiveUntil(active, now) >= candidate.Until)
        {
            // Keep the streak growing even when a longer window hides the short backoff.
            var kept = candidate.Source == PauseSource.PastResetBackoff
                ? active with { PastResetStreak = candidate.PastResetStreak }
                : active;
            return new(RateLimitAction.Pause, kept, "a longer pause is already in force");
        }

        return new(RateLimitAction.Pause, candidate, candidate.Source switch
        {
            PauseSource.ProviderReset => "paused until the provider's reset",
            PauseSource.NoResetGiven => "paused for the default window (no reset time given)",
            _ => "reset time already passed: short backoff",
        });
    }

    /// <summary>When the pause really ends, safe against the clock jumping back after it was decided.</summary>
    public static DateTimeOffset EffectiveUntil(RuntimePause pause, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pause);
        return DueTime.Effective(pause.Until, pause.DecidedAt, now);
    }

    /// <summary>
    /// The pause to store from now on: re-anchored if the clock has jumped back past its decision
    /// (see <see cref="DueTime.Rebase"/>). The daemon persists it when it differs, so the cap sticks.
    /// </summary>
    public static RuntimePause Rebase(RuntimePause pause, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pause);
        var (until, decidedAt) = DueTime.Rebase(pause.Until, pause.DecidedAt, now);
        return until == pause.Until && decidedAt == pause.DecidedAt ? pause : pause with { Until = until, DecidedAt = decidedAt };
    }

    public static bool IsPaused(RuntimePause? pause, DateTimeOffset now) =>
        pause is not null && now < EffectiveUntil(pause, now);

    /// <summary>How long a resume timer armed now must wait; zero when the pause is over.</summary>
    public static TimeSpan TimeUntilResume(RuntimePause? pause, DateTimeOffset now) =>
        pause is null ? TimeSpan.Zero : DueTime.Remaining(pause.Until, pause.DecidedAt, now);

    private static RuntimePause? Active(RuntimePause? pause, DateTimeOffset now) => IsPaused(pause, now) ? pause : null;

    private static string WindowName(string? window) => window ?? "unnamed";
}
