using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.ServerClient;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// Keeps running and in-review sessions in step with their tasks: a task that was cancelled, deleted, finished or
/// re-issued stops its agent (or ends its in-review session); a rejected task (back in progress) makes its in-review
/// session due, so it resumes through the same path as every other resume. Runs on every task event of the machine
/// stream and, as a safety net, on a timer.
/// </summary>
public sealed class TaskWatcher(
    SessionStore store,
    SessionEndings endings,
    SessionSupervisor supervisor,
    SessionClaims claims,
    BoardApiClient api,
    DaemonContext context,
    TimeProvider timeProvider)
{
    /// <summary>Checks every active and in-review session's task against the server.</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        var watched = (await store.ListInStateAsync(SessionState.Active, cancellationToken))
            .Concat(await store.ListInStateAsync(SessionState.InReview, cancellationToken));
        foreach (var session in watched)
        {
            TaskDto? task;
            try
            {
                task = await api.FindTaskAsync(session.TaskId, cancellationToken);
            }
            catch (ServerApiException)
            {
                return; // Server unreachable: nothing to learn this round.
            }

            await ApplyAsync(session, task, cancellationToken);
        }
    }

    /// <summary>A task event from the machine stream (it carries the task as it is now).</summary>
    public async Task OnTaskEventAsync(ServerEventDto evt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.TaskId is null)
        {
            return;
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
            if (check.Standing == TaskStanding.Gone && supervisor.IsRunning(session.Id))
            {
                supervisor.RequestStop(session.Id, RunStop.TaskGone);
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
        else if (check.Standing == TaskStanding.Ours && task?.Status == "in_progress" && session.ResumeAfter is null)
        {
            // Rejected: due now; the resume path applies the runtime pause and the caps, then resumes with the reason.
            await endings.PostponeAsync(session, timeProvider.GetUtcNow(), "review rejected; resuming with the reviewer's reason", false, cancellationToken);
        }
    }
}
