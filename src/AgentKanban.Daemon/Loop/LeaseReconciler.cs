using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// Compares the leases the server says this machine holds (each heartbeat answer) with the sessions in the store: a
/// lease without an open session is given back through the outbox (released when claimed, returned when todo); a
/// running or in-review session whose lease is missing or at another epoch is checked against its task at once by the
/// <see cref="TaskWatcher"/>, and stopped or resumed as the task says. One pass at a time; a pass that finds the server
/// unreachable just ends.
/// </summary>
/// <param name="dispatching">Whether a dispatch of the task is under way (its session maybe not stored yet).</param>
public sealed class LeaseReconciler(
    SessionStore store,
    OutboxStore outboxStore,
    OutboxDeliverer outbox,
    TaskWatcher watcher,
    Func<string, bool> dispatching,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<LeaseReconciler> logger)
{
    private int _reconciling;

    /// <summary>One pass over a heartbeat answer; returns at once while another pass runs.</summary>
    public async Task ReconcileAsync(HeartbeatAnswerDto answer, CancellationToken cancellationToken)
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
                if (!watcher.IsWatched(session) || (held.TryGetValue(session.TaskId, out var epoch) && epoch == session.Epoch))
                {
                    continue;
                }

                // The lease is not this session's any more (or never was at this epoch): ask the task itself.
                if (!await watcher.CheckAsync(session, cancellationToken))
                {
                    return;
                }
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
}
