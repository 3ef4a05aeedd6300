namespace AgentKanban.Daemon.Store;

public enum TransitionStatus
{
    /// <summary>The transition and everything that came with it were committed.</summary>
    Applied,
    /// <summary>The session was no longer in the expected state (someone else moved it first); nothing was written.</summary>
    LostRace,
    /// <summary>The state machine forbids this trigger from the session's state; nothing was written.</summary>
    Illegal,
    NotFound,
}

/// <param name="Session">The session after the transition (Applied) or as found (LostRace, Illegal).</param>
public sealed record TransitionResult(TransitionStatus Status, SessionRecord? Session, string? Message = null)
{
    public bool Applied => Status == TransitionStatus.Applied;
}
