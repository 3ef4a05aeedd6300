using AgentKanban.Core.Policies;

namespace AgentKanban.Core.Sessions;

/// <summary>How the agent process of one run ended, as the process runner saw it.</summary>
public enum RunExit
{
    /// <summary>Exit status 0.</summary>
    Clean,
    /// <summary>A non-zero exit status.</summary>
    ExitCode,
    /// <summary>Killed by a signal the daemon did not send (OOM killer, a crash).</summary>
    Signal,
    /// <summary>The process could not be started at all.</summary>
    SpawnFailed,
}

/// <summary>Why the daemon itself stopped the run, if it did.</summary>
public enum RunStop
{
    None,
    /// <summary>No output for too long.</summary>
    StallWatchdog,
    /// <summary>The task's time budget ran out.</summary>
    TaskTimeout,
    /// <summary>The daemon is shutting down.</summary>
    Shutdown,
    /// <summary>The task was cancelled or taken away while the agent ran.</summary>
    TaskGone,
    /// <summary>
    /// The daemon could not keep (or lost) the task's lease — no heartbeat confirmed in time, or the lease went to
    /// another epoch — and stopped the agent before the task could be given to someone else.
    /// </summary>
    LeaseLost,
}

/// <summary>What the server says about the session's task after the run ended.</summary>
public enum TaskView
{
    /// <summary>The server could not be asked (outage).</summary>
    Unknown,
    /// <summary>Still <c>todo</c>: the agent never claimed it.</summary>
    Unclaimed,
    /// <summary><c>in_progress</c> and still held by this session.</summary>
    InProgress,
    /// <summary><c>in_review</c>: the agent asked for review.</summary>
    InReview,
    /// <summary>Deleted, done, cancelled, or re-issued to another session.</summary>
    Gone,
}

/// <summary>Everything <see cref="RunOutcome.Classify"/> needs to decide where a session goes after its process ended.</summary>
/// <param name="RateLimited">A rejected rate limit was reported during the run and not cleared since.</param>
/// <param name="Failure">The worst error the run reported (from the runtime's error events).</param>
/// <param name="ResultIsError">The runtime's final result said the turn failed.</param>
/// <param name="ConversationLost">
/// The run was to continue a conversation the runtime no longer has (so it did nothing); see <see cref="RunOutcome.StartsFresh"/>.
/// </param>
public sealed record RunFacts(
    RunExit Exit,
    RunStop Stop,
    TaskView Task,
    bool RateLimited,
    ErrorClass Failure,
    bool ResultIsError,
    bool ConversationLost = false);

/// <summary>The classification of a finished run: the trigger to apply and the reason to record.</summary>
/// <param name="PreClaimFailure">
/// The run failed before the agent claimed its task: counts against the runtime's circuit breaker.
/// </param>
public sealed record RunVerdict(SessionTrigger Trigger, string Reason, bool PreClaimFailure);
