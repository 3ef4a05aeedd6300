namespace AgentKanban.Server.Storage;

/// <summary>
/// Told after every committed transaction that appended rows to the event log,
/// so live streams on this instance wake up and read the new events.
/// </summary>
public interface IEventSignal
{
    /// <summary>Signals that events up to <paramref name="latestEventId"/> are committed and readable.</summary>
    void Notify(long latestEventId);
}
