namespace AgentKanban.Server.Streams;

/// <summary>
/// In-process wake-up for live streams: keeps the highest committed event id seen and
/// completes one shared task per generation, so a notification costs O(1) whatever the number of subscribers.
/// </summary>
public sealed class EventBroadcaster : IEventSignal
{
    private TaskCompletionSource _next = NewSource();
    private long _latest;

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

        Wake();
    }

    /// <summary>Wakes every waiter without announcing a new id (used by the safety poll).</summary>
    public void Wake()
    {
        // Swap in a fresh generation first so anyone re-arming after waking waits for the next signal.
        var fired = Interlocked.Exchange(ref _next, NewSource());
        fired.TrySetResult();
    }

    /// <summary>A task that completes at the next <see cref="Notify"/> or <see cref="Wake"/>.</summary>
    public Task NextSignal() => Volatile.Read(ref _next).Task;

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
