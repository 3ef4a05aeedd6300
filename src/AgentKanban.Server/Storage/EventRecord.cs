using AgentKanban.Contracts;

namespace AgentKanban.Server.Storage;

/// <summary>
/// One row for the durable event log (<c>events</c>), buffered by a write transaction and inserted at its commit.
/// <see cref="AgentId"/> is the task's assignee at the time of the event; <see cref="Payload"/> has no id yet.
/// </summary>
public sealed record EventRecord(
    string OwnerId,
    string? BoardId,
    string? TaskId,
    string? MachineId,
    string? AgentId,
    ServerEventDto Payload)
{
    /// <summary>Set on <c>agent.event</c> rows: the agent session the event belongs to.</summary>
    public string? SessionId { get; init; }

    /// <summary>Set on <c>agent.event</c> rows: the event's number within its session.</summary>
    public long? AgentSeq { get; init; }
}
