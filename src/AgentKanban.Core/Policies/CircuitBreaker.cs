namespace AgentKanban.Core.Policies;

/// <summary>
/// Circuit-breaker rules for a runtime that keeps failing before its agents claim their tasks (not
/// installed right, not logged in, crashing at start). Pure functions from state to state; the
/// daemon stores each new state before acting on it.
/// <list type="bullet">
/// <item>closed: every failure before claim counts; <see cref="CircuitBreakerOptions.FailureThreshold"/> in a row open it;</item>
/// <item>open: nothing is dispatched until the cool-down ends, then one probe is allowed (half-open);</item>
/// <item>half-open: the probe failing before claim reopens it with a doubled cool-down; any session that
/// reaches the workflow (claims its task) closes it.</item>
/// </list>
/// </summary>
public static class CircuitBreaker
{
    public static CircuitCheck Check(CircuitBreakerState state, DateTimeOffset now, CircuitBreakerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        options ??= CircuitBreakerOptions.Default;
        switch (state.Status)
        {
            case CircuitStatus.Open:
            {
                var until = OpenUntil(state, now);
                return now >= until ? new(DispatchPermission.AllowedAsProbe, null) : new(DispatchPermission.Denied, until);
            }

            case CircuitStatus.HalfOpen:
            {
                var started = state.ProbeStartedAt ?? now;
                var probeDeadline = DueTime.Effective(started + options.ProbeTimeout, started, now);
                return now >= probeDeadline
                    ? new(DispatchPermission.AllowedAsProbe, null)
                    : new(DispatchPermission.Denied, probeDeadline);
            }

            default:
                return new(DispatchPermission.Allowed, null);
        }
    }

    /// <summary>The probe allowed by <see cref="Check"/> was dispatched.</summary>
    public static CircuitBreakerState OnProbeStarted(CircuitBreakerState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Status == CircuitStatus.Closed ? state : state with { Status = CircuitStatus.HalfOpen, ProbeStartedAt = now };
    }

    /// <summary>The probe never got to run (dispatch gave up for an unrelated reason): let another probe go.</summary>
    public static CircuitBreakerState OnProbeAbandoned(CircuitBreakerState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Status == CircuitStatus.HalfOpen
            ? state with { Status = CircuitStatus.Open, OpenedAt = now, OpenUntil = now, ProbeStartedAt = null }
            : state;
    }

    /// <summary>A session ended (or was found dead) with its task still unclaimed.</summary>
    public static CircuitBreakerState OnPreClaimFailure(CircuitBreakerState state, DateTimeOffset now, CircuitBreakerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        options ??= CircuitBreakerOptions.Default;
        var failures = state.ConsecutiveFailures + 1;
        switch (state.Status)
        {
            case CircuitStatus.HalfOpen:
                return Open(state with { ConsecutiveFailures = failures }, now, options);
            case CircuitStatus.Open:
                // A straggler started before the circuit opened: count it, keep the window as it is.
                return state with { ConsecutiveFailures = failures };
            default:
                return failures >= options.FailureThreshold
                    ? Open(state with { ConsecutiveFailures = failures }, now, options)
                    : state with { ConsecutiveFailures = failures };
        }
    }

    /// <summary>A session of this runtime claimed its task (or reached review): the runtime works.</summary>
    public static CircuitBreakerState OnWorkflowEntered(CircuitBreakerState state) => CircuitBreakerState.Closed;

    public static TimeSpan Cooldown(int timesOpened, CircuitBreakerOptions? options = null)
    {
        options ??= CircuitBreakerOptions.Default;
        var exponent = Math.Clamp(timesOpened - 1, 0, 30);
        var baseTicks = options.BaseCooldown.Ticks;
        var maxTicks = Math.Max(options.MaxCooldown.Ticks, baseTicks);
        return TimeSpan.FromTicks(baseTicks > (maxTicks >> exponent) ? maxTicks : Math.Min(baseTicks << exponent, maxTicks));
    }

    /// <summary>When the open circuit allows a probe, safe against the clock jumping back.</summary>
    public static DateTimeOffset OpenUntil(CircuitBreakerState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var until = state.OpenUntil ?? now;
        return DueTime.Effective(until, state.OpenedAt ?? until, now);
    }

    /// <summary>
    /// The state to store from now on: its open window and probe start re-anchored if the clock has jumped
    /// back past them (see <see cref="DueTime.Rebase"/>). The daemon persists it when it differs.
    /// </summary>
    public static CircuitBreakerState Rebase(CircuitBreakerState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var result = state;
        if (state.OpenUntil is { } until && state.OpenedAt is { } openedAt)
        {
            var (due, decidedAt) = DueTime.Rebase(until, openedAt, now);
            result = result with { OpenUntil = due, OpenedAt = decidedAt };
        }

        if (state.ProbeStartedAt is { } started && now < started)
        {
            result = result with { ProbeStartedAt = now };
        }

        return result;
    }

    private static CircuitBreakerState Open(CircuitBreakerState state, DateTimeOffset now, CircuitBreakerOptions options)
    {
        var times = state.TimesOpened + 1;
        return state with
        {
            Status = CircuitStatus.Open,
            TimesOpened = times,
            OpenedAt = now,
            OpenUntil = now + Cooldown(times, options),
            ProbeStartedAt = null,
        };
    }
}
