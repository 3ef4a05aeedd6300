namespace AgentKanban.Server.Streams;

/// <summary>Which stream a subscriber opened.</summary>
internal enum StreamKind
{
    Board,
    Task,
    Machine,
}

/// <summary>
/// What one subscriber may see: events of its owner about one board, one task, or one machine
/// (the machine stream also carries every event about a task assigned to one of the owner's agents).
/// </summary>
internal sealed record StreamScope(StreamKind Kind, string OwnerId, string TargetId)
{
    public bool Matches(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!string.Equals(stored.OwnerId, OwnerId, StringComparison.Ordinal))
        {
            return false;
        }

        return Kind switch
        {
            StreamKind.Board => string.Equals(stored.BoardId, TargetId, StringComparison.Ordinal),
            StreamKind.Task => string.Equals(stored.TaskId, TargetId, StringComparison.Ordinal),
            StreamKind.Machine => stored.AgentId is not null || string.Equals(stored.MachineId, TargetId, StringComparison.Ordinal),
            _ => false,
        };
    }
}
