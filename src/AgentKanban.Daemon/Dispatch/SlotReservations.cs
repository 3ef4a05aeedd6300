using AgentKanban.Daemon.Sessions;

namespace AgentKanban.Daemon.Dispatch;

/// <summary>
/// The concurrency caps (per runtime and per machine): running agents plus dispatches in flight (leased and being
/// prepared, no agent yet). A dispatch reserves its slot when it is decided, so one pass never over-commits.
/// </summary>
public sealed class SlotReservations(SessionSupervisor supervisor, DaemonOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _reserved = new(StringComparer.Ordinal);
    private int _reservedTotal;

    public int Running(string runtime)
    {
        lock (_lock)
        {
            return supervisor.RunningOn(runtime) + _reserved.GetValueOrDefault(runtime);
        }
    }

    public int RunningTotal
    {
        get
        {
            lock (_lock)
            {
                return supervisor.RunningCount + _reservedTotal;
            }
        }
    }

    public bool HasRoomFor(string runtime) =>
        Running(runtime) < options.MaxConcurrentPerRuntime && RunningTotal < options.MaxConcurrent;

    /// <summary>Reserves a slot if the caps leave room (checked and taken atomically); null when they do not.</summary>
    public IDisposable? TryReserve(string runtime)
    {
        lock (_lock)
        {
            if (supervisor.RunningOn(runtime) + _reserved.GetValueOrDefault(runtime) >= options.MaxConcurrentPerRuntime
                || supervisor.RunningCount + _reservedTotal >= options.MaxConcurrent)
            {
                return null;
            }

            return Reserve(runtime);
        }
    }

    /// <summary>Holds a slot until disposed (by then the agent runs and the supervisor counts it, or the dispatch failed).</summary>
    public IDisposable Reserve(string runtime)
    {
        lock (_lock)
        {
            _reserved[runtime] = _reserved.GetValueOrDefault(runtime) + 1;
            _reservedTotal++;
        }

        return new Reservation(this, runtime);
    }

    private void Release(string runtime)
    {
        lock (_lock)
        {
            _reserved[runtime] = Math.Max(0, _reserved.GetValueOrDefault(runtime) - 1);
            _reservedTotal = Math.Max(0, _reservedTotal - 1);
        }
    }

    private sealed class Reservation(SlotReservations owner, string runtime) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(runtime);
            }
        }
    }
}
