using System.Data.Common;

namespace AgentKanban.Server.Storage;

/// <summary>
/// Deleting rows of the event log, and remembering how far it went (<c>event_prune_marks</c>: per scope, the highest id
/// ever deleted). A stream resuming after an id below the mark of its scope may have lost events, and is told to reload
/// rather than resume with a silent gap. The deletion and the raised mark commit in one transaction, so any reader sees
/// either both or neither.
/// </summary>
internal static class EventPruneMarks
{
    /// <summary>The scope of the age-based retention: it deletes events of every stream.</summary>
    public const string WholeLog = "";

    /// <summary>
    /// The SQL expression for the highest mark that concerns a stream: the whole log's, and for a task stream also its
    /// task's (<c>@task</c>; agent events reach only their task's stream).
    /// </summary>
    public static string FloorSql(bool task) =>
        "(SELECT COALESCE(MAX(pruned_through), 0) FROM event_prune_marks WHERE scope = ''" + (task ? " OR scope = @task" : string.Empty) + ")";

    /// <summary>The SQL expression for the highest id any pruning ever deleted (the log's head never goes below it).</summary>
    public const string HighestSql = "(SELECT COALESCE(MAX(pruned_through), 0) FROM event_prune_marks)";

    /// <summary>
    /// Runs <paramref name="delete"/>, a <c>DELETE FROM events … RETURNING id, task_id</c>, and raises the marks of what it
    /// deleted: the whole log's when <paramref name="wholeLog"/>, else each deleted row's task. Returns how many rows went.
    /// </summary>
    public static async Task<int> DeleteAsync(WriteTransaction tx, DbCommand delete, bool wholeLog, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(delete);
        var deleted = 0;
        long highest = 0;
        var perTask = wholeLog ? null : new Dictionary<string, long>(StringComparer.Ordinal);
        await using (delete)
        {
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                deleted++;
                var id = reader.GetInt64(0);
                highest = Math.Max(highest, id);
                if (perTask is not null && reader.GetStringOrNull(1) is { } taskId)
                {
                    perTask[taskId] = Math.Max(perTask.GetValueOrDefault(taskId), id);
                }
            }
        }

        if (perTask is null)
        {
            if (deleted > 0)
            {
                await RaiseAsync(tx, WholeLog, highest, cancellationToken);
            }
        }
        else
        {
            foreach (var (taskId, id) in perTask)
            {
                await RaiseAsync(tx, taskId, id, cancellationToken);
            }
        }

        return deleted;
    }

    /// <summary>
    /// Drops task marks the whole log's mark already covers (a stream below them is below the whole log's mark too), so
    /// the table holds only tasks whose agent events were capped since the retention last caught up.
    /// </summary>
    public static async Task DropCoveredAsync(WriteTransaction tx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await tx.Command(
                "DELETE FROM event_prune_marks WHERE scope <> '' AND pruned_through <= " +
                "(SELECT pruned_through FROM event_prune_marks WHERE scope = '')")
            .ExecAsync(cancellationToken);
    }

    private static async Task RaiseAsync(WriteTransaction tx, string scope, long prunedThrough, CancellationToken cancellationToken) =>
        await tx.Command(
                "INSERT INTO event_prune_marks (scope, pruned_through) VALUES (@scope, @through) " +
                "ON CONFLICT (scope) DO UPDATE SET pruned_through = excluded.pruned_through " +
                "WHERE excluded.pruned_through > event_prune_marks.pruned_through")
            .Add("@scope", scope).Add("@through", prunedThrough)
            .ExecAsync(cancellationToken);
}
