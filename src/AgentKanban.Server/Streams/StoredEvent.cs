namespace AgentKanban.Server.Streams;

/// <summary>
/// One row of the event log as the streams need it: the columns streams filter on plus the
/// ready-to-send SSE frame (built once, shared by every subscriber).
/// </summary>
internal sealed record StoredEvent(
    long Id,
    string Type,
    string OwnerId,
    string? BoardId,
    string? TaskId,
    string? MachineId,
    string? AgentId,
    ReadOnlyMemory<byte> Frame);
