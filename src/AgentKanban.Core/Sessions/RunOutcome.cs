using AgentKanban.Core.Policies;

namespace AgentKanban.Core.Sessions;

/// <summary>
/// Decides where a session goes when its agent process ended. The order of the checks is the
/// policy: a task that is gone ends the session whatever happened; a rate limit beats any crash
/// (the agent must resume after the window, not be released); a task in review means the agent
/// did its job even if it then crashed; only then do failures and clean exits count.
/// </summary>
public static class RunOutcome
{
    /// <summary>
    /// The run was to continue a conversation the runtime no longer has, so it did nothing: rather than failing, the
    /// session starts a new conversation (told what happened so far) in place of this run. Only while the task is still
    /// the session's to work on and nothing else decided the run's end first (the daemon stopping it, a rate limit).
    /// The caller allows this once per lost conversation; a fresh start that fails is classified as usual.
    /// </summary>
    public static bool StartsFresh(RunFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return facts.ConversationLost
            && facts.Stop == RunStop.None
            && !facts.RateLimited
            && facts.Task is TaskView.InProgress or TaskView.Unclaimed;
    }

    public static RunVerdict Classify(RunFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var unclaimed = facts.Task == TaskView.Unclaimed;

        if (facts.Task == TaskView.Gone || facts.Stop == RunStop.TaskGone)
        {
            return new(SessionTrigger.TaskGone, "task deleted, finished, cancelled or re-issued", false);
        }

        if (facts.RateLimited)
        {
            return new(SessionTrigger.EndedRateLimited, "provider rate limit", false);
        }

        if (facts.Stop == RunStop.Shutdown)
        {
            return new(SessionTrigger.Interrupted, "daemon shutting down; resumes on next start", false);
        }

        if (facts.Task == TaskView.InReview)
        {
            return new(SessionTrigger.EndedInReview, "agent requested review", false);
        }

        if (facts.Stop == RunStop.LeaseLost)
        {
            // Not a failure of the agent: the session stays active and continues once the server confirms the task is
            // still this machine's (taking the lease again if it lapsed); a task gone to someone else ended it above.
            return new(SessionTrigger.Interrupted, "stopped: this machine could not keep the task's lease", false);
        }

        if (facts.Task == TaskView.Unknown)
        {
            // Without the server's answer we cannot tell a finished task from an abandoned one: wait and ask again.
            return new(SessionTrigger.FailedTransient, "task status unknown (server unreachable)", false);
        }

        switch (facts.Stop)
        {
            case RunStop.StallWatchdog:
                return new(SessionTrigger.FailedTransient, "agent stalled (no output)", unclaimed);
            case RunStop.TaskTimeout:
                return new(SessionTrigger.FailedTerminal, "task timed out", unclaimed);
        }

        if (facts.Exit == RunExit.SpawnFailed)
        {
            return new(SessionTrigger.FailedTerminal, "agent could not be started", unclaimed);
        }

        switch (facts.Failure)
        {
            case ErrorClass.Transient:
                return new(SessionTrigger.FailedTransient, "transient provider error", unclaimed);
            case ErrorClass.Terminal:
                return new(SessionTrigger.FailedTerminal, "provider error", unclaimed);
        }

        switch (facts.Exit)
        {
            case RunExit.Signal:
                // Killed by someone else (OOM killer, a crash): worth another try; the retry policy caps it.
                return new(SessionTrigger.FailedTransient, "agent killed by a signal", unclaimed);
            case RunExit.ExitCode:
                return new(SessionTrigger.FailedTerminal, "agent exited with an error", unclaimed);
        }

        if (facts.ResultIsError)
        {
            return new(SessionTrigger.FailedTerminal, "agent's last turn failed", unclaimed);
        }

        return unclaimed
            ? new(SessionTrigger.EndedWithoutReview, "agent exited without claiming the task", true)
            : new(SessionTrigger.EndedWithoutReview, "agent exited without requesting review", false);
    }
}
