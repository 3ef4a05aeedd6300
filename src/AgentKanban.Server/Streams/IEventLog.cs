namespace AgentKanban.Server.Streams;

/// <summary>Read access to the durable event log (the <c>events</c> table), the truth behind every stream.</summary>
internal interface IEventLog
{
    /// <summary>The highest event id committed so far (0 when the log is empty).</summary>
    Task<long> GetLatestIdAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> events with <paramref name="afterId"/> &lt; id (≤ <paramref name="upToId"/> when given),
    /// restricted to <paramref name="scope"/> when given, in id order.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> ReadAsync(long afterId, long? upToId, StreamScope? scope, int limit, CancellationToken cancellationToken);
}
