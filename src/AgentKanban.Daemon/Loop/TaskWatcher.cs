using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Core.Tasks;
using AgentKanban.Daemon.Sessions;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// Keeps running and in-review sessions in step with their tasks: a task that was cancelled, deleted, finished or
/// re-issued stops its agent (or ends its in-review session); a task whose lease lapsed stops its agent so it continues
/// under a new lease; a rejected task (back in progress, or back in todo when the lease lapsed while nobody could take
/// the rejection) makes its in-review session due, so it resumes through the same path as every other resume. Runs on
/// every task event of the machine stream, for the sessions a heartbeat answer shows with a lease that is not theirs
/// (<see cref="LeaseReconciler"/>) and, as a safety net, on a timer.
/// </summary>
public sealed class TaskWatcher(
    SessionStore store,
    SessionEndings endings,
    SessionSupervisor supervisor,
    SessionClaims claims,
    LeaseKeeper leases,
    BoardApiClient api,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<TaskWatcher> logger)
{
    /// <summary>Checks every active and in-review session's task against the server.</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        var watched = (await store.ListInStateAsync(SessionState.Active, cancellationToken))
            .Concat(await store.ListInStateAsync(SessionState.InReview, cancellationToken));
        foreach (var session in watched)
        {
            if (!await CheckAsync(session, cancellationToken))
            {
                return; // Server unreachable: nothing to learn this round.
            }
        }
    }

    /// <summary>The session's task is watched here: the session is in review, or active with its agent running here.</summary>
    public bool IsWatched(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.State is SessionState.InReview || (session.State == SessionState.Active && supervisor.IsRunning(session.Id));
    }

    /// <summary>Reads the session's task from the server and acts on it; false when the server could not be asked.</summary>
    public async Task<bool> CheckAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        TaskDto? task;
        try
        {
            task = await api.FindTaskAsync(session.TaskId, cancellationToken);
        }
        catch (ServerApiException)
        {
            return false;
        }

        await ApplyAsync(session, task, cancellationToken);
        return true;
    }

    /// <summary>A task event from the machine stream (it carries the task as it is now).</summary>
    public async Task OnTaskEventAsync(ServerEventDto evt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.TaskId is null)
        {
            return;
        }

        if (evt.Message is { } message)
        {
            // A message on the task: the agent running for it gets it now, if its runtime takes live input.
            supervisor.OfferMessage(evt.TaskId, message);
        }

        var session = await store.FindOpenByTaskAsync(evt.TaskId, cancellationToken);
        if (session is null || session.State is not (SessionState.Active or SessionState.InReview))
        {
            return;
        }

        var task = evt.Type == "task.deleted" ? null : evt.Task ?? await api.FindTaskAsync(evt.TaskId, cancellationToken);
        await ApplyAsync(session, task, cancellationToken);
    }

    private async Task ApplyAsync(SessionRecord session, TaskDto? task, CancellationToken cancellationToken)
    {
        var check = TaskChecks.Judge(task, session, context.MachineId, timeProvider.GetUtcNow());
        if (session.State == SessionState.Active)
        {
            if (!supervisor.IsRunning(session.Id))
            {
                return;
            }

            switch (check.Standing)
            {
                case TaskStanding.Gone:
                    // Self-fencing: the task is someone else's now. The agent stops at once, its session ends and its work
                    // is saved to the session's wip ref when the worktree is cleaned up; it is never resumed.
                    DaemonLog.LeaseLost(logger, session.TaskId, session.Id, check.Reason);
                    supervisor.RequestStop(session.Id, RunStop.TaskGone, leases.FenceStopGrace);
                    break;
                case TaskStanding.Reclaimable:
                    // The lease lapsed and nobody took the task: the agent's identity is stale (its calls are refused), so it
                    // stops and continues in place under a new lease and a new server session (see SessionContinuer).
                    DaemonLog.LeaseLost(logger, session.TaskId, session.Id, check.Reason);
                    supervisor.RequestStop(session.Id, RunStop.LeaseLost, leases.FenceStopGrace);
                    break;
            }

            return;
        }

        // In review, and nobody else is working on the session.
        using var claim = claims.TryClaim(session.Id, "watch");
        if (claim is null)
        {
            return;
        }

        if (check.Standing == TaskStanding.Gone)
        {
            await endings.ApplyAsync(session, SessionState.InReview, new RunVerdict(SessionTrigger.TaskGone, check.Reason, false), TaskView.Gone, cancellationToken);
        }
        else if (check.Standing == TaskStanding.Ours && task?.Status == TaskStatusNames.InProgress && session.ResumeAfter is null)
        {
            // Rejected: due now; the resume path applies the runtime pause and the caps, then resumes with the reason.
            await endings.PostponeAsync(session, timeProvider.GetUtcNow(), "review rejected; resuming with the reviewer's reason", false, cancellationToken);
        }
        else if (check.Standing == TaskStanding.Reclaimable && session.ResumeAfter is null)
        {
            // Rejected while this machine could not renew the lease, and the lapsed lease sent the task back to todo:
            // still nobody else's. Due now; the resume path takes the lease again, restores the claim and resumes the same
            // conversation with the reviewer's reason.
            await endings.PostponeAsync(session, timeProvider.GetUtcNow(), "review rejected while the lease lapsed; taking the task again", false, cancellationToken);
        }
    }
}
