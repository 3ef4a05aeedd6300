using AgentKanban.Client;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Core.Tasks;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>What continuing a session did (the recovery pass counts these).</summary>
public enum ContinueOutcome
{
    /// <summary>An agent runs again for it (resumed in place, or a preparation finished).</summary>
    Resumed,
    PreparingContinued,
    /// <summary>In review, kept as it is.</summary>
    KeptInReview,
    /// <summary>Waits for its resume time (rate limit window, runtime pause).</summary>
    Waiting,
    /// <summary>Its task is gone or it could not go on: it is being cleaned up.</summary>
    CleanedUp,
    /// <summary>The server could not be asked, or the machine may not run agents now: tried again a little later.</summary>
    Later,
    /// <summary>Every slot for its runtime is taken: tried again as soon as a run ends and frees one.</summary>
    NoSlot,
}

/// <summary>
/// Continues a session nobody in this process is working on: after a restart (the recovery pass), when its
/// resume time comes (rate limit reset, backoff), or when the reconcile pass finds an active session with no
/// agent. Every decision asks the server whether the task is still the session's first (fencing by epoch).
/// </summary>
public sealed class SessionContinuer(
    SessionStore store,
    SessionEndings endings,
    SessionStarter starter,
    SessionCleaner cleaner,
    SessionSupervisor supervisor,
    AgentAdmission admission,
    BoardApiClient api,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<SessionContinuer> logger)
{
    public async Task<ContinueOutcome> ContinueAsync(SessionRecord session, SessionClaims.Claim claim, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(claim);
        if ((!admission.Leases.MayRun || context.AgentsRefused is not null) && session.State is not SessionState.Completing)
        {
            // Self-fenced (or not yet confirmed): no agent starts until the server confirms this machine's leases.
            // Or no sandbox can be made here: the session waits, as it is, for a daemon that can run it safely.
            return ContinueOutcome.Later;
        }

        try
        {
            return session.State switch
            {
                SessionState.Preparing => await ContinuePreparingAsync(session, claim, stopping),
                SessionState.Active => await ContinueActiveAsync(session, claim, stopping),
                SessionState.RateLimited or SessionState.Suspended or SessionState.InReview => await ResumeWaitingAsync(session, claim, stopping),
                SessionState.Completing => await cleaner.CleanAsync(session, stopping) ? ContinueOutcome.CleanedUp : ContinueOutcome.Later,
                _ => ContinueOutcome.CleanedUp,
            };
        }
        catch (PrepareException e)
        {
            return await FailAsync(session, e, stopping);
        }
    }

    private async Task<ContinueOutcome> ContinuePreparingAsync(SessionRecord session, SessionClaims.Claim claim, CancellationToken stopping)
    {
        var check = await CheckAsync(session, stopping);
        switch (check.Standing)
        {
            case TaskStanding.Ours:
                session = await starter.RenewLeaseAsync(session, stopping);
                await starter.ContinuePreparingAsync(session, claim, stopping);
                return ContinueOutcome.PreparingContinued;
            case TaskStanding.Unknown:
                return ContinueOutcome.Later;
            default:
                // Nothing ran yet: end it; a fresh dispatch takes the task if it is still to be done.
                await endings.ApplyAsync(session, SessionState.Preparing, new RunVerdict(SessionTrigger.TaskGone, check.Reason, false), TaskView.Gone, stopping);
                return ContinueOutcome.CleanedUp;
        }
    }

    /// <summary>
    /// An active session without an agent here: the daemon died (or the run's supervision failed). Kill whatever
    /// is left of its process group, then resume it in place if the task is still its own.
    /// </summary>
    private async Task<ContinueOutcome> ContinueActiveAsync(SessionRecord session, SessionClaims.Claim claim, CancellationToken stopping)
    {
        // An agent this daemon runs is not a stray; any other process of the session would run alongside the resumed one.
        if (!supervisor.IsRunning(session.Id))
        {
            await StrayProcesses.KillSessionsAsync([session.Id], context.Options.StopGracePeriod, timeProvider,
                (sessionId, pid) => DaemonLog.StrayKilled(logger, pid, sessionId), stopping);
        }

        // The run was rate limited (its resume time is recorded) or its runtime is paused: resuming now would only
        // hit the limit again. It waits for the window like any rate-limited session.
        var now = timeProvider.GetUtcNow();
        if ((session.ResumeAfter is { } due && due > now) || admission.Runtimes.ActivePause(session.Runtime) is not null)
        {
            await endings.ApplyAsync(session, SessionState.Active,
                new RunVerdict(SessionTrigger.EndedRateLimited, "rate limited when the daemon stopped", false), TaskView.Unknown, stopping);
            return ContinueOutcome.Waiting;
        }

        var check = await CheckAsync(session, stopping);
        switch (check.Standing)
        {
            case TaskStanding.Ours or TaskStanding.Reclaimable:
                if (check.Task?.Status == TaskStatusNames.Todo)
                {
                    session = await starter.RenewLeaseAsync(session, stopping);
                }

                session = await starter.EnsureReadyAsync(session, persistWorkspace: true, stopping);
                DaemonLog.Resuming(logger, session.Id, session.TaskId, session.State.ToName());
                // Asked for review, then died before the daemon saw it, and a reviewer rejected meanwhile: the agent
                // answers the rejection (with its reason), not a plain restart.
                starter.Launch(session, ResumePrompt(session, check), claim, launchPrepared: false, stopping);
                return ContinueOutcome.Resumed;
            case TaskStanding.InReview:
                await endings.ApplyAsync(session, SessionState.Active, new RunVerdict(SessionTrigger.EndedInReview, check.Reason, false), TaskView.InReview, stopping);
                return ContinueOutcome.KeptInReview;
            case TaskStanding.Gone:
                await endings.ApplyAsync(session, SessionState.Active, new RunVerdict(SessionTrigger.TaskGone, check.Reason, false), TaskView.Gone, stopping);
                return ContinueOutcome.CleanedUp;
            default:
                return ContinueOutcome.Later;
        }
    }

    /// <summary>A waiting session whose resume time came, or an in-review session whose task was rejected.</summary>
    private async Task<ContinueOutcome> ResumeWaitingAsync(SessionRecord session, SessionClaims.Claim claim, CancellationToken stopping)
    {
        var now = timeProvider.GetUtcNow();
        if (session.ResumeAfter is { } due && due > now)
        {
            return ContinueOutcome.Waiting;
        }

        // The runtime's pause wins over an earlier resume time (another session may have hit a longer window).
        if (admission.Runtimes.ActivePause(session.Runtime) is { } pause)
        {
            await endings.PostponeAsync(session, RateLimitPolicy.EffectiveUntil(pause.Pause, now), $"runtime {session.Runtime} paused by a rate limit", false, stopping);
            return ContinueOutcome.Waiting;
        }

        // The slot is held from here until the agent runs (then the supervisor counts it) or the resume gives up.
        using var slot = admission.Slots.TryReserve(session.Runtime);
        if (slot is null)
        {
            return ContinueOutcome.NoSlot;
        }

        var check = await CheckAsync(session, stopping);
        string prompt;
        switch (check.Standing)
        {
            case TaskStanding.Gone:
                await endings.ApplyAsync(session, session.State, new RunVerdict(SessionTrigger.TaskGone, check.Reason, false), TaskView.Gone, stopping);
                return ContinueOutcome.CleanedUp;
            case TaskStanding.Unknown:
                await endings.PostponeAsync(session, endings.RetryResumeAt(session), check.Reason, true, stopping);
                return ContinueOutcome.Later;
            case TaskStanding.InReview when session.State == SessionState.InReview:
                // Nothing to resume: the review is still open.
                await store.UpdateAsync(session.Id, s => s with { ResumeAfter = null, DecidedAt = null }, null, stopping);
                return ContinueOutcome.KeptInReview;
            case TaskStanding.Reclaimable:
                // The lease lapsed while this session waited (daemon down, a long rate-limit window, a rejection nobody
                // could take): take it again under a new identity, restore the claim, and go on with the same conversation.
                session = await starter.RenewLeaseAsync(session, stopping);
                prompt = ResumePrompt(session, check);
                break;
            default:
                if (check.Task?.Status == TaskStatusNames.Todo)
                {
                    session = await starter.RenewLeaseAsync(session, stopping);
                }

                prompt = ResumePrompt(session, check);
                break;
        }

        var ready = await starter.EnsureReadyAsync(session, persistWorkspace: false, stopping);
        var from = session.State;
        var resumed = await starter.CommitLaunchAsync(ready, from, SessionTrigger.Resume, stopping);
        if (resumed is null)
        {
            return ContinueOutcome.Later;
        }

        // Active is durable before the spawn: a process that exits at once still finds the session active.
        DaemonLog.Resuming(logger, session.Id, session.TaskId, from.ToName());
        starter.Launch(resumed, prompt, claim, launchPrepared: true, stopping);
        return ContinueOutcome.Resumed;
    }

    /// <summary>
    /// What a resumed agent is told: a rejection it has not answered yet, with the reviewer's reason (also when it died
    /// before the daemon saw its review request, or when the rejection came while the lease lapsed); otherwise the
    /// prompt its waiting recorded (rate limit, transient failure), or that it was interrupted.
    /// </summary>
    private static string ResumePrompt(SessionRecord session, TaskCheck check) =>
        check.UnansweredRejection(session.Id) is { } reason ? Prompts.Rejected(reason)
        : session.State == SessionState.InReview ? Prompts.Rejected(check.LatestRejection())
        : session.NextPrompt ?? Prompts.RestartResume;

    private async Task<ContinueOutcome> FailAsync(SessionRecord session, PrepareException e, CancellationToken stopping)
    {
        DaemonLog.PrepareFailed(logger, session.Id, session.TaskId, e.Kind.ToString(), e.Message);
        var current = await store.GetAsync(session.Id, stopping) ?? session;
        if (e.Kind == PrepareFailure.Transient && current.State.WaitsForResumeTime() || current.State == SessionState.InReview)
        {
            // A waiting session stays waiting; it only moves its resume time.
            await endings.PostponeAsync(current, endings.RetryResumeAt(current), e.Message, true, stopping);
            return ContinueOutcome.Later;
        }

        if (e.Kind == PrepareFailure.Transient && current.State == SessionState.Active)
        {
            // Left active: the reconcile pass tries again (nothing of the agent's work is touched).
            return ContinueOutcome.Later;
        }

        // Ending it for good: ask where the task stands, to release it (claimed) or give its lease back (unclaimed).
        var view = e.Kind == PrepareFailure.Gone ? TaskView.Gone : (await CheckAsync(current, stopping)).ToView();
        await endings.ApplyAsync(current, current.State, e.ToVerdict(), view, stopping);
        return ContinueOutcome.CleanedUp;
    }

    private async Task<TaskCheck> CheckAsync(SessionRecord session, CancellationToken cancellationToken) =>
        await TaskChecks.CheckAsync(api, session, context.MachineId, timeProvider.GetUtcNow(), cancellationToken);
}
