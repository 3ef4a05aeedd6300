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
    ServerEventDto Payload);
