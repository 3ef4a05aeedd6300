using System.Globalization;
using AgentKanban.Daemon.Outbox;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>
/// The durable outbox table. Reports are enqueued inside the same transaction as the state change they
/// describe, so "the session moved" and "the server will be told" commit together or not at all. Within a group (a
/// session's reports, or a task's "why" notes) they go out in the order they were queued: only a group's oldest pending
/// report is due. A report refused for good stays in the table as a dead letter (<c>failed_at_ms</c> and its reason),
/// never sent again and no longer holding its group up.
/// </summary>
public sealed class OutboxStore(DaemonDatabase database)
{
    private const string Columns =
        "id, idempotency_key, kind, method, path, body, session_id, sign_as_session, attempts, next_attempt_ms, last_error, failed_at_ms";

    /// <summary>Pending rows of table alias <c>o</c> that are the oldest pending row of their group (served by ix_outbox_group).</summary>
    private const string GroupHead = """
        o.failed_at_ms IS NULL AND NOT EXISTS (
            SELECT 1 FROM outbox e
            WHERE e.failed_at_ms IS NULL AND COALESCE(e.session_id, e.path) = COALESCE(o.session_id, o.path) AND e.id < o.id)
        """;

    /// <summary>Adds a report inside the caller's write transaction. A repeated key is ignored (already queued).</summary>
    public static async Task<bool> EnqueueAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        Report report,
        long nowMs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(report);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO outbox (idempotency_key, kind, method, path, body, session_id, task_id, sign_as_session, next_attempt_ms, created_at_ms)
            VALUES ($key, $kind, $method, $path, $body, $session, $task, $sign, $now, $now)
            ON CONFLICT (idempotency_key) DO NOTHING
            """;
        command.Parameters.AddWithValue("$key", report.IdempotencyKey);
        command.Parameters.AddWithValue("$kind", report.Kind);
        command.Parameters.AddWithValue("$method", report.Method);
        command.Parameters.AddWithValue("$path", report.Path);
        command.Parameters.AddWithValue("$body", (object?)report.Body ?? DBNull.Value);
        command.Parameters.AddWithValue("$session", (object?)report.SessionId ?? DBNull.Value);
        command.Parameters.AddWithValue("$task", (object?)report.TaskId ?? DBNull.Value);
        command.Parameters.AddWithValue("$sign", report.SignAsSession ? 1 : 0);
        command.Parameters.AddWithValue("$now", nowMs);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Items due at <paramref name="nowMs"/>, oldest first: at most one per group, its oldest pending one (so a group's
    /// reports are delivered in the order they were queued, and one waiting for a retry holds up only its own group).
    /// </summary>
    public async Task<IReadOnlyList<OutboxItem>> DueAsync(long nowMs, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM outbox o WHERE {GroupHead} AND o.next_attempt_ms <= $now
            ORDER BY o.id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$now", nowMs);
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Every item still in the table (pending and failed), oldest first. For status output and tests.</summary>
    public async Task<IReadOnlyList<OutboxItem>> AllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM outbox ORDER BY id";
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>When the next pending item is due (a group's oldest pending one), or null when nothing is pending.</summary>
    public async Task<long?> NextDueMsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT MIN(o.next_attempt_ms) FROM outbox o WHERE {GroupHead}";
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is long ms ? ms : null;
    }

    /// <summary>Tasks with an undelivered release or lease return: not to be leased again before the server heard it.</summary>
    public async Task<IReadOnlySet<string>> TasksWithPendingReportsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT task_id FROM outbox WHERE failed_at_ms IS NULL AND task_id IS NOT NULL";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task<int> PendingCountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM outbox WHERE failed_at_ms IS NULL";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The server acknowledged the item: it is gone for good.</summary>
    public Task DeliveredAsync(long id, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM outbox WHERE id = $id", id, null, 0, cancellationToken);

    /// <summary>A transient failure: try again at <paramref name="nextAttemptMs"/>.</summary>
    public Task RetryLaterAsync(long id, string error, long nextAttemptMs, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE outbox SET attempts = attempts + 1, last_error = $error, next_attempt_ms = $at WHERE id = $id", id, error, nextAttemptMs, cancellationToken);

    /// <summary>
    /// The report can never be delivered: it becomes a dead letter with <paramref name="reason"/> and the time. Kept, so it
    /// is visible (<c>ak daemon status</c>) and never silently lost; never sent again.
    /// </summary>
    public Task DeadLetterAsync(long id, string reason, long nowMs, bool attempted, CancellationToken cancellationToken) =>
        ExecuteAsync(
            $"UPDATE outbox SET attempts = attempts + {(attempted ? 1 : 0)}, last_error = $error, failed_at_ms = $at WHERE id = $id AND failed_at_ms IS NULL",
            id, reason, nowMs, cancellationToken);

    private Task ExecuteAsync(string sql, long id, string? error, long at, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", at);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    private static async Task<IReadOnlyList<OutboxItem>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var items = new List<OutboxItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new OutboxItem(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetInt64(7) != 0,
                reader.GetInt32(8),
                reader.GetInt64(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetInt64(11)));
        }

        return items;
    }
}
