namespace AgentKanban.Server.Streams;

/// <summary>Read access to the durable event log (the <c>events</c> table), the truth behind every stream.</summary>
internal interface IEventLog
{
    /// <summary>
    /// The head of the log: the highest event id committed so far (0 when the log was always empty). Ids that pruning
    /// deleted count too, so the head never moves back when old events go.
    /// </summary>
    Task<long> GetLatestIdAsync(CancellationToken cancellationToken);

    /// <summary>The head and, for <paramref name="scope"/>, the floor below which events may have been pruned.</summary>
    Task<LogPosition> GetPositionAsync(StreamScope? scope, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> events with <paramref name="afterId"/> &lt; id (≤ <paramref name="upToId"/> when given),
    /// restricted to <paramref name="scope"/> when given, in id order.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> ReadAsync(long afterId, long? upToId, StreamScope? scope, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="ReadAsync"/> for one stream's catch-up, with the log's position read in the same snapshot: when its
    /// floor is above <paramref name="afterId"/>, events of the range may be gone and the rows are not the whole story.
    /// </summary>
    Task<CatchUpBatch> ReadCatchUpAsync(long afterId, long upToId, StreamScope scope, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// Where the log stands for one stream: <see cref="Head"/> is the highest id ever committed; <see cref="Floor"/> the
/// highest id pruning ever deleted among the events the stream could carry (0 = nothing). A stream resuming after an
/// id below the floor may have missed events that no longer exist.
/// </summary>
internal readonly record struct LogPosition(long Head, long Floor)
{
    /// <summary>True when events after <paramref name="afterId"/> may have been pruned.</summary>
    public bool HasGapAfter(long afterId) => afterId < Floor;
}

/// <summary>One batch of a stream's catch-up read and the log's position in the same snapshot.</summary>
internal sealed record CatchUpBatch(IReadOnlyList<StoredEvent> Events, LogPosition Position);
