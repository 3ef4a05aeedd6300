namespace AgentKanban.Core.Policies;

/// <summary>Stored as these numbers; never renumber.</summary>
public enum CircuitStatus
{
    /// <summary>Dispatch freely.</summary>
    Closed = 0,
    /// <summary>Too many failures before claim: nothing is dispatched until the cool-down ends.</summary>
    Open = 1,
    /// <summary>The cool-down ended and one probe session is running; nothing else is dispatched.</summary>
    HalfOpen = 2,
}

/// <summary>
/// A runtime's circuit breaker, shaped to be stored as one row and read back after a restart.
/// Change it only through <see cref="CircuitBreaker"/>.
/// </summary>
/// <param name="ConsecutiveFailures">Runs in a row that failed before their task was claimed.</param>
/// <param name="TimesOpened">How often it opened since it last closed; the cool-down doubles with each.</param>
public sealed record CircuitBreakerState(
    CircuitStatus Status,
    int ConsecutiveFailures,
    int TimesOpened,
    DateTimeOffset? OpenedAt,
    DateTimeOffset? OpenUntil,
    DateTimeOffset? ProbeStartedAt)
{
    public static CircuitBreakerState Closed { get; } = new(CircuitStatus.Closed, 0, 0, null, null, null);
}

public sealed record CircuitBreakerOptions
{
    public static CircuitBreakerOptions Default { get; } = new();

    /// <summary>Failures before claim, in a row, that open the circuit.</summary>
    public int FailureThreshold { get; init; } = 3;

    /// <summary>First cool-down; doubles each time the circuit reopens without having closed.</summary>
    public TimeSpan BaseCooldown { get; init; } = TimeSpan.FromMinutes(30);

    public TimeSpan MaxCooldown { get; init; } = TimeSpan.FromHours(4);

    /// <summary>A probe that neither succeeded nor failed within this (its daemon died, say) no longer blocks a new one.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromHours(2);
}

public enum DispatchPermission
{
    Allowed,
    /// <summary>Allowed as the single half-open probe: call <see cref="CircuitBreaker.OnProbeStarted"/> when it is dispatched.</summary>
    AllowedAsProbe,
    Denied,
}

/// <param name="RetryAt">When a denied dispatch may be tried again (for "why is this task not running?").</param>
public readonly record struct CircuitCheck(DispatchPermission Permission, DateTimeOffset? RetryAt)
{
    public bool MayDispatch => Permission != DispatchPermission.Denied;
}
