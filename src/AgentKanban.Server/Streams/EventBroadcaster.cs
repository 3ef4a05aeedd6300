using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Streams;

/// <summary>
/// In-process wake-up for live streams: keeps the highest committed event id announced so far and
/// completes one shared task per generation, so a notification costs O(1) whatever the number of waiters.
/// </summary>
public sealed class EventBroadcaster : IEventSignal
{
    private TaskCompletionSource _next = NewSource();
    private long _latest;
    private int _forceRead;

    /// <summary>The highest event id any notification has announced so far.</summary>
    public long LatestKnownId => Interlocked.Read(ref _latest);

    /// <inheritdoc />
    public void Notify(long latestEventId)
    {
        var seen = Interlocked.Read(ref _latest);
        while (latestEventId > seen)
        {
            var prior = Interlocked.CompareExchange(ref _latest, latestEventId, seen);
            if (prior == seen)
            {
                break;
            }

            seen = prior;
        }

        Fire();
    }

    /// <summary>
    /// Wakes the feed and asks it to read the log even though no new id was announced
    /// (after the PostgreSQL listener reconnects, notifications sent meanwhile are lost).
    /// </summary>
    public void Wake()
    {
        Volatile.Write(ref _forceRead, 1);
        Fire();
    }

    /// <summary>A task that completes at the next <see cref="Notify"/> or <see cref="Wake"/>.</summary>
    public Task NextSignal() => Volatile.Read(ref _next).Task;

    /// <summary>True once per <see cref="Wake"/> call (cleared by reading it).</summary>
    internal bool TakeForcedRead() => Interlocked.Exchange(ref _forceRead, 0) == 1;

    private void Fire()
    {
        // Swap in a fresh generation first so a waiter re-arming after waking waits for the next signal.
        var fired = Interlocked.Exchange(ref _next, NewSource());
        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
