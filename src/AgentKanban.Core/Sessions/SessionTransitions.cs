namespace AgentKanban.Core.Sessions;

/// <summary>The answer to "may this trigger move a session out of that state, and where to?".</summary>
public readonly record struct SessionTransition(SessionState From, SessionTrigger Trigger, SessionState To, bool IsAllowed)
{
    /// <summary>A legal trigger that leaves the state as it is (it only changes fields such as the resume time).</summary>
    public bool IsSelfLoop => IsAllowed && From == To;
}

/// <summary>
/// The session state machine as one table. Pure: the store applies an allowed transition as a
/// compare-and-set (<c>UPDATE … WHERE id = @id AND state = @from</c>) in the same transaction as the
/// fields it changes; an illegal pair is a bug or a lost race, reported, never applied.
/// </summary>
public static class SessionTransitions
{
    private static readonly (SessionState From, SessionTrigger Trigger, SessionState To)[] Table =
    [
        (SessionState.Preparing, SessionTrigger.Launch, SessionState.Active),
        // The runtime was paused (a rate limit) before the agent could start: the session waits for the window.
        (SessionState.Preparing, SessionTrigger.EndedRateLimited, SessionState.RateLimited),
        (SessionState.Preparing, SessionTrigger.FailedTransient, SessionState.Suspended),
        (SessionState.Preparing, SessionTrigger.FailedTerminal, SessionState.Completing),
        (SessionState.Preparing, SessionTrigger.TaskGone, SessionState.Completing),
        (SessionState.Preparing, SessionTrigger.Orphaned, SessionState.Completing),

        // While the process runs, rate-limit reports only record (or clear) the resume time.
        (SessionState.Active, SessionTrigger.RateLimitHit, SessionState.Active),
        (SessionState.Active, SessionTrigger.RateLimitCleared, SessionState.Active),
        (SessionState.Active, SessionTrigger.EndedInReview, SessionState.InReview),
        (SessionState.Active, SessionTrigger.EndedWithoutReview, SessionState.Completing),
        (SessionState.Active, SessionTrigger.EndedRateLimited, SessionState.RateLimited),
        (SessionState.Active, SessionTrigger.FailedTransient, SessionState.Suspended),
        (SessionState.Active, SessionTrigger.FailedTerminal, SessionState.Completing),
        // Shutdown leaves the session active on purpose: the next start resumes it in place.
        (SessionState.Active, SessionTrigger.Interrupted, SessionState.Active),
        (SessionState.Active, SessionTrigger.TaskGone, SessionState.Completing),
        (SessionState.Active, SessionTrigger.Orphaned, SessionState.Completing),

        (SessionState.RateLimited, SessionTrigger.Resume, SessionState.Active),
        (SessionState.RateLimited, SessionTrigger.Postpone, SessionState.RateLimited),
        (SessionState.RateLimited, SessionTrigger.TaskGone, SessionState.Completing),
        (SessionState.RateLimited, SessionTrigger.Orphaned, SessionState.Completing),

        (SessionState.Suspended, SessionTrigger.Resume, SessionState.Active),
        (SessionState.Suspended, SessionTrigger.Postpone, SessionState.Suspended),
        (SessionState.Suspended, SessionTrigger.TaskGone, SessionState.Completing),
        (SessionState.Suspended, SessionTrigger.Orphaned, SessionState.Completing),

        // In review: only a rejection (resume), a postponed resume, or the task going away. No orphan reaping.
        (SessionState.InReview, SessionTrigger.Resume, SessionState.Active),
        (SessionState.InReview, SessionTrigger.Postpone, SessionState.InReview),
        (SessionState.InReview, SessionTrigger.TaskGone, SessionState.Completing),

        (SessionState.Completing, SessionTrigger.CleanupDone, SessionState.Closed),
        (SessionState.Completing, SessionTrigger.CleanupFailed, SessionState.Completing),
    ];

    public static IReadOnlyList<SessionTrigger> AllTriggers { get; } = Enum.GetValues<SessionTrigger>();

    public static SessionTransition Decide(SessionState from, SessionTrigger trigger)
    {
        foreach (var (f, t, to) in Table)
        {
            if (f == from && t == trigger)
            {
                return new(from, trigger, to, true);
            }
        }

        return new(from, trigger, from, false);
    }

    public static bool TryApply(SessionState from, SessionTrigger trigger, out SessionState to)
    {
        var transition = Decide(from, trigger);
        to = transition.To;
        return transition.IsAllowed;
    }

    /// <summary>Applies a transition the caller knows to be legal; an illegal pair throws.</summary>
    public static SessionState Apply(SessionState from, SessionTrigger trigger)
    {
        var transition = Decide(from, trigger);
        return transition.IsAllowed
            ? transition.To
            : throw new InvalidOperationException(DescribeIllegal(from, trigger));
    }

    public static IReadOnlyList<SessionTrigger> AllowedTriggers(SessionState from) =>
        Table.Where(r => r.From == from).Select(r => r.Trigger).ToArray();

    public static string DescribeIllegal(SessionState from, SessionTrigger trigger)
    {
        var allowed = AllowedTriggers(from);
        return allowed.Count == 0
            ? $"Session is {from.ToName()}: nothing may change it (got {trigger})"
            : $"Session is {from.ToName()}: {trigger} is not allowed (allowed: {string.Join(", ", allowed)})";
    }

    /// <summary>A session that takes one of the runtime's concurrency slots (being prepared or running).</summary>
    public static bool OccupiesSlot(this SessionState state) => state is SessionState.Preparing or SessionState.Active;

    /// <summary>A session waiting for its resume time (rate limited or suspended).</summary>
    public static bool WaitsForResumeTime(this SessionState state) => state is SessionState.RateLimited or SessionState.Suspended;

    /// <summary>The session still owns a workspace that must not be deleted.</summary>
    public static bool KeepsWorkspace(this SessionState state) => state is not (SessionState.Completing or SessionState.Closed);

    public static bool IsFinal(this SessionState state) => state == SessionState.Closed;
}
