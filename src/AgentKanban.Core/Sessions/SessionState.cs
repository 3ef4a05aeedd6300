namespace AgentKanban.Core.Sessions;

/// <summary>
/// Where one agent session (one task, one worktree, one conversation with a runtime) stands on this
/// machine. The daemon's store holds it (see <see cref="StoredSessionStates"/> for the stored numbers)
/// and changes it only through <see cref="SessionTransitions"/>, as a compare-and-set together with
/// the fields the change carries (resume time, resume token, reason).
/// </summary>
public enum SessionState
{
    /// <summary>
    /// The task is leased and the session is recorded (keypair, provider session id chosen up front),
    /// the workspace is being made; no agent process has been launched yet.
    /// After a restart: continue preparing if the task is still ours, otherwise clean up.
    /// </summary>
    Preparing,

    /// <summary>
    /// An agent process was launched for this session and its end has not been classified yet.
    /// The state is committed before the process is spawned, so after a restart it means
    /// "the process died with the daemon": the session is resumed in place (same worktree,
    /// provider resume token) when its task is still ours.
    /// </summary>
    Active,

    /// <summary>
    /// The provider rejected the agent for its usage limit. The session waits for its resume time
    /// (the pause window, persisted before anything else reacted) and is then resumed with a
    /// non-empty prompt. The worktree is kept.
    /// </summary>
    RateLimited,

    /// <summary>
    /// A transient failure (network, overloaded provider, stalled agent, server unreachable) ended the
    /// last attempt. The session waits for its resume time, set by a capped backoff, then resumes.
    /// </summary>
    Suspended,

    /// <summary>
    /// The agent asked for review. The worktree is kept until the review resolves: a rejection
    /// resumes the same conversation; the task finishing or going away ends the session.
    /// Never reaped as an orphan, and kept across restarts.
    /// </summary>
    InReview,

    /// <summary>
    /// The session is over. Its reports are in the outbox; the workspace is being cleaned up
    /// (uncommitted work saved to a wip ref first). Retried until the clean-up is done.
    /// </summary>
    Completing,

    /// <summary>Final. Kept for history (usage, messages); nothing moves it.</summary>
    Closed,
}
