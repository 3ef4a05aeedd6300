namespace AgentKanban.Server.Streams;

/// <summary>
/// An immutable snapshot of the most recent events, published by <see cref="EventFeed"/>.
/// Invariant: every committed event with <see cref="CoveredFrom"/> &lt; id ≤ <see cref="CoveredTo"/> is in
/// <see cref="Events"/> (ascending ids), because the log hands out ids in commit order.
/// Subscribers read a window without locks and await <see cref="Replaced"/> for the next one.
/// </summary>
internal sealed class EventWindow
{
    private readonly TaskCompletionSource _replaced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StoredEvent[] _events;

    private EventWindow(StoredEvent[] events, long coveredFrom, long coveredTo)
    {
        _events = events;
        CoveredFrom = coveredFrom;
        CoveredTo = coveredTo;
    }

    public long CoveredFrom { get; }

    public long CoveredTo { get; }

    public ReadOnlySpan<StoredEvent> Events => _events;

    /// <summary>Completes when a newer window has been published.</summary>
    public Task Replaced => _replaced.Task;

    public static EventWindow Empty(long latestId) => new([], latestId, latestId);

    /// <summary>A new window with <paramref name="batch"/> (ids above <see cref="CoveredTo"/>, ascending) appended, trimmed to <paramref name="capacity"/>.</summary>
    public EventWindow Append(IReadOnlyList<StoredEvent> batch, int capacity)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (batch.Count == 0)
        {
            return this;
        }

        var total = _events.Length + batch.Count;
        var drop = Math.Max(0, total - capacity);
        var coveredFrom = CoveredFrom;
        if (drop > 0)
        {
            // The newest dropped event becomes the lower bound: ids up to it are no longer held.
            coveredFrom = drop <= _events.Length ? _events[drop - 1].Id : batch[drop - _events.Length - 1].Id;
        }

        var next = new StoredEvent[total - drop];
        var index = 0;
        for (var i = Math.Min(drop, _events.Length); i < _events.Length; i++)
        {
            next[index++] = _events[i];
        }

        for (var i = Math.Max(0, drop - _events.Length); i < batch.Count; i++)
        {
            next[index++] = batch[i];
        }

        return new EventWindow(next, coveredFrom, batch[^1].Id);
    }

    /// <summary>Index of the first held event with an id above <paramref name="cursor"/> (= length when none).</summary>
    public int IndexAfter(long cursor)
    {
        int low = 0, high = _events.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_events[mid].Id <= cursor)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    internal void MarkReplaced() => _replaced.TrySetResult();
}
