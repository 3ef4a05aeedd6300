using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Core.Tasks;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// Keeps running and in-review sessions in step with their tasks: a task that was cancelled, deleted, finished or
/// re-issued stops its agent (or ends its in-review session); a task whose lease lapsed stops its agent so it continues
/// under a new lease; a rejected task (back in progress, or back in todo when the lease lapsed while nobody could take
/// the rejection) makes its in-review session due, so it resumes through the same path as every other resume. Runs on
/// every task event of the machine stream, on every heartbeat answer (<see cref="ReconcileLeasesAsync"/>) and, as a
/// safety net, on a timer.
/// </summary>
public sealed class TaskWatcher(
    SessionStore store,
    SessionEndings endings,
    SessionSupervisor supervisor,
    SessionClaims claims,
    OutboxStore outboxStore,
    OutboxDeliverer outbox,
    LeaseKeeper leases,
    Func<string, bool> dispatching,
    BoardApiClient api,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<TaskWatcher> logger)
{
    private int _reconciling;

    /// <summary>
    /// Compares the leases the server says this machine holds (a heartbeat answer) with the sessions in the store: a
    /// lease without an open session is given back through the outbox (released when claimed, returned when todo); a
    /// running or in-review session whose lease is missing or at another epoch is checked against the task at once and
    /// stopped or resumed as the task says. One pass at a time; a pass that finds the server unreachable just ends.
    /// </summary>
    public async Task ReconcileLeasesAsync(HeartbeatAnswerDto answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (Interlocked.Exchange(ref _reconciling, 1) == 1)
        {
            return;
        }

        try
        {
            // Order matters: a dispatch under way is seen before the store is read, so a lease granted to a dispatch
            // whose session is not stored yet is never mistaken for an orphan.
            var inFlight = answer.Leases.Where(l => dispatching(l.TaskId)).Select(l => l.TaskId).ToHashSet(StringComparer.Ordinal);
            var open = await store.ListOpenAsync(cancellationToken);
            var pending = await outboxStore.TasksWithPendingReportsAsync(cancellationToken);
            var byTask = open.GroupBy(s => s.TaskId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var orphans = answer.Leases
                .Where(l => !byTask.ContainsKey(l.TaskId) && !inFlight.Contains(l.TaskId) && !pending.Contains(l.TaskId))
                .Where(l => l.Status is TaskStatusNames.Todo or TaskStatusNames.InProgress)
                .ToList();
            if (orphans.Count > 0)
            {
                await GiveBackAsync(orphans, cancellationToken);
            }

            var held = answer.Leases.ToDictionary(l => l.TaskId, l => l.Epoch, StringComparer.Ordinal);
            foreach (var session in open)
            {
                var watched = session.State is SessionState.InReview || (session.State == SessionState.Active && supervisor.IsRunning(session.Id));
                if (!watched || (held.TryGetValue(session.TaskId, out var epoch) && epoch == session.Epoch))
                {
                    continue;
                }

                // The lease is not this session's any more (or never was at this epoch): ask the task itself.
                TaskDto? task;
                try
                {
                    task = await api.FindTaskAsync(session.TaskId, cancellationToken);
                }
                catch (ServerApiException)
                {
                    return;
                }

                await ApplyAsync(session, task, cancellationToken);
            }
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or IOException)
        {
            DaemonLog.LeaseReconcileFailed(logger, e.Message);
        }
        finally
        {
            Volatile.Write(ref _reconciling, 0);
        }
    }

    private async Task GiveBackAsync(List<HeldLeaseDto> orphans, CancellationToken cancellationToken)
    {
        await store.Database.TransactAsync(timeProvider.GetUtcNow(), async tx =>
        {
            foreach (var lease in orphans)
            {
                DaemonLog.OrphanLease(logger, lease.TaskId, lease.Epoch, lease.Status);
                await tx.EnqueueAsync(lease.Status == TaskStatusNames.Todo
                    ? Reports.ReturnOrphanLease(lease.TaskId, lease.Epoch)
                    : Reports.ReleaseOrphan(lease.TaskId, lease.Epoch,
                        $"machine {context.MachineName} has no session for this task any more (its last run ended while the server was unreachable)"),
                    cancellationToken);
            }

            return true;
        }, cancellationToken);
        outbox.Wake();
    }

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
