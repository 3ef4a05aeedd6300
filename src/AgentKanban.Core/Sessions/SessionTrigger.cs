namespace AgentKanban.Core.Sessions;

/// <summary>What happened to a session. <see cref="SessionTransitions"/> says which are legal from which state.</summary>
public enum SessionTrigger
{
    /// <summary>The first agent process is about to be spawned. Committed before the spawn.</summary>
    Launch,

    /// <summary>
    /// A waiting session (rate limited, suspended, rejected in review) is about to be resumed.
    /// Committed before the process is spawned, so a process that exits at once still finds
    /// the session <see cref="SessionState.Active"/>.
    /// </summary>
    Resume,

    /// <summary>A waiting session cannot resume yet (runtime still paused, at capacity, server unreachable); its resume time moves.</summary>
    Postpone,

    /// <summary>The running agent reported a rejected rate limit; the resume time is recorded while the process still runs.</summary>
    RateLimitHit,

    /// <summary>The running agent reported the limit allowed again (not on overage); the recorded resume time is cleared.</summary>
    RateLimitCleared,

    /// <summary>The agent process ended and the server shows the task in review.</summary>
    EndedInReview,

    /// <summary>The agent process ended cleanly without asking for review; the task is released with the reason.</summary>
    EndedWithoutReview,

    /// <summary>The agent process ended after a rejected rate limit. Beats every crash classification.</summary>
    EndedRateLimited,

    /// <summary>Preparing or running failed in a way worth retrying later.</summary>
    FailedTransient,

    /// <summary>Preparing or running failed for good; the task is released with the reason.</summary>
    FailedTerminal,

    /// <summary>The daemon stopped the agent because it is shutting down; the next start resumes it in place.</summary>
    Interrupted,

    /// <summary>The task was deleted, cancelled, finished, or re-issued to another session (stale lease epoch).</summary>
    TaskGone,

    /// <summary>
    /// The session can no longer be continued (its workspace vanished, or nothing can resume it).
    /// Not legal for <see cref="SessionState.InReview"/>: a session in review is never reaped.
    /// </summary>
    Orphaned,

    /// <summary>The workspace is cleaned up and the final reports are in the outbox.</summary>
    CleanupDone,

    /// <summary>Clean-up failed; it is retried later.</summary>
    CleanupFailed,
}
