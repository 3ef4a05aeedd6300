using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Dispatch;

/// <summary>
/// The in-memory mirror of each runtime's pause window and circuit breaker, for fast dispatch decisions.
/// It is loaded from the store at start and updated only AFTER the store committed a change, so it can
/// never be ahead of what survives a crash.
/// </summary>
public sealed class RuntimeGate(TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredPause> _pauses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CircuitBreakerState> _breakers = new(StringComparer.Ordinal);

    /// <summary>A pause or breaker changed (the heartbeat reports it at once; the loop re-plans).</summary>
    public event Action? Changed;

    public async Task LoadAsync(PauseStore pauses, BreakerStore breakers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pauses);
        ArgumentNullException.ThrowIfNull(breakers);
        var storedPauses = await pauses.AllAsync(cancellationToken);
        var storedBreakers = await breakers.AllAsync(cancellationToken);
        lock (_lock)
        {
            _pauses.Clear();
            foreach (var pause in storedPauses)
            {
                _pauses[pause.Runtime] = pause;
            }

            _breakers.Clear();
            foreach (var (runtime, state) in storedBreakers)
            {
                _breakers[runtime] = state;
            }
        }
    }

    /// <summary>Call after the store committed the pause (null = cleared).</summary>
    public void PauseCommitted(string runtime, RuntimePause? pause, string reason)
    {
        lock (_lock)
        {
            if (pause is null)
            {
                _pauses.Remove(runtime);
            }
            else
            {
                _pauses[runtime] = new StoredPause(runtime, pause, reason);
            }
        }

        Changed?.Invoke();
    }

    /// <summary>Call after the store committed the breaker state.</summary>
    public void BreakerCommitted(string runtime, CircuitBreakerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            _breakers[runtime] = state;
        }

        Changed?.Invoke();
    }

    /// <summary>The pause in force for <paramref name="runtime"/>, or null.</summary>
    public StoredPause? ActivePause(string runtime)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            return _pauses.TryGetValue(runtime, out var pause) && RateLimitPolicy.IsPaused(pause.Pause, now) ? pause : null;
        }
    }

    public CircuitBreakerState Breaker(string runtime)
    {
        lock (_lock)
        {
            return _breakers.TryGetValue(runtime, out var state) ? state : CircuitBreakerState.Closed;
        }
    }

    public CircuitCheck CheckBreaker(string runtime) => CircuitBreaker.Check(Breaker(runtime), timeProvider.GetUtcNow());

    /// <summary>The next instant a pause ends or a breaker lets a probe through (the loop wakes then), or null.</summary>
    public DateTimeOffset? NextChangeAt()
    {
        var now = timeProvider.GetUtcNow();
        DateTimeOffset? next = null;
        lock (_lock)
        {
            foreach (var pause in _pauses.Values)
            {
                if (RateLimitPolicy.IsPaused(pause.Pause, now))
                {
                    next = Min(next, now + RateLimitPolicy.TimeUntilResume(pause.Pause, now));
                }
            }

            foreach (var state in _breakers.Values)
            {
                if (CircuitBreaker.Check(state, now) is { MayDispatch: false, RetryAt: { } at })
                {
                    next = Min(next, at);
                }
            }
        }

        return next;
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x <= b ? x : b;
}
