namespace AgentKanban.Contracts;

/// <summary>
/// One entry of the server's durable event log, as sent on SSE streams (<c>id:</c> = <see cref="Id"/>,
/// <c>event:</c> = <see cref="Type"/>, <c>data:</c> = this record as JSON).
/// Types: <c>task.created</c>, <c>task.updated</c>, <c>task.deleted</c>, <c>task.activity</c>, <c>task.message</c>,
/// <c>machine.updated</c>, <c>session.updated</c>, <c>agent.event</c> (task streams only); and <see cref="StreamEvents.Reset"/>,
/// which is no row of the log but a word about the stream itself.
/// </summary>
public sealed record ServerEventDto
{
    public long Id { get; init; }
    public required string Type { get; init; }
    public string? BoardId { get; init; }
    public string? TaskId { get; init; }
    public string? MachineId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public TaskDto? Task { get; init; }
    public ActivityDto? Activity { get; init; }
    public MessageDto? Message { get; init; }
    public MachineDto? Machine { get; init; }
    /// <summary>Set on <c>session.updated</c>.</summary>
    public SessionDto? Session { get; init; }
    /// <summary>Set on <c>agent.event</c>: one live event of the task's running agent session.</summary>
    public AgentEventDto? AgentEvent { get; init; }

    /// <summary>Set on <see cref="StreamEvents.Reset"/>: the highest event id pruning has deleted among the stream's events.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? PrunedThrough { get; init; }
}

/// <summary>SSE event types that are not rows of the log but tell a client about its stream.</summary>
public static class StreamEvents
{
    /// <summary>
    /// The stream resumed after an id below what the log still keeps for it: events the client never saw may have been
    /// pruned. The frame's id (and <c>id</c> in its data) is the log's head; the stream continues live from there. A
    /// client reloads its picture (as on a first load: it is already at the head) instead of trusting the gap.
    /// </summary>
    public const string Reset = "reset";
}
