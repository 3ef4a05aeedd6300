using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Server.Streams;

/// <summary>
/// Keeps the event log from growing without end: every hour, events older than
/// <see cref="ServerOptions.EventRetention"/> are deleted in small batches (short write transactions, so SQLite's one
/// writer is never held for long). Nothing else is lost: tasks, activity and messages live in their own tables. Each
/// batch raises the whole log's prune mark (<see cref="EventPruneMarks"/>) in its transaction, so a stream that resumes
/// from a pruned position is told to reload instead of continuing with a gap.
/// </summary>
public sealed class EventRetention(IStorageEngine store, ServerClock clock, ServerOptions options, ILogger<EventRetention> logger)
    : PeriodicJob(clock.TimeProvider, Interval)
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    private const int BatchSize = 5000;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => PruneOnceAsync(cancellationToken);

    protected override void ReportFailure(Exception exception) => ServerLog.EventPruneFailed(logger, exception);

    /// <summary>Deletes every event older than the retention; returns how many.</summary>
    public async Task<int> PruneOnceAsync(CancellationToken cancellationToken)
    {
        var before = clock.Now() - options.EventRetention;
        var total = 0;
        while (true)
        {
            var deleted = await store.WriteAsync((tx, ct) => EventPruneMarks.DeleteAsync(tx,
                tx.Command("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < @before ORDER BY id LIMIT @n) RETURNING id, task_id")
                    .Add("@before", before).Add("@n", (long)BatchSize),
                wholeLog: true, ct), cancellationToken);
            total += deleted;
            if (deleted < BatchSize)
            {
                break;
            }
        }

        if (total > 0)
        {
            await store.WriteAsync(async (tx, ct) =>
            {
                await EventPruneMarks.DropCoveredAsync(tx, ct);
                return 0;
            }, cancellationToken);
            ServerLog.EventsPruned(logger, total, options.EventRetention);
        }

        return total;
    }
}
