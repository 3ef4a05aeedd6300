namespace AgentKanban.Contracts;

/// <summary>
/// One entry of the server's durable event log, as sent on SSE streams (<c>id:</c> = <see cref="Id"/>,
/// <c>event:</c> = <see cref="Type"/>, <c>data:</c> = this record as JSON).
/// Types: <c>task.created</c>, <c>task.updated</c>, <c>task.deleted</c>, <c>task.activity</c>, <c>task.message</c>,
/// <c>machine.updated</c>, <c>session.updated</c>, <c>agent.event</c> (task streams only).
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
}
