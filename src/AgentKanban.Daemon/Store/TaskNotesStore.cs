namespace AgentKanban.Daemon.Store;

/// <summary>A task whose last session failed waits until <see cref="NotBefore"/> before it is dispatched again.</summary>
public sealed record TaskBackoff(int Failures, DateTimeOffset NotBefore, DateTimeOffset DecidedAt, string Reason);

/// <summary>
/// Per-task notes the daemon keeps: the latest skip reason ("why is this task not running?") and the
/// dispatch backoff after a failed session.
/// </summary>
public sealed class TaskNotesStore(DaemonDatabase database)
{
    public async Task<string?> ReasonAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT reason FROM skip_reasons WHERE task_id = $task";
        command.Parameters.AddWithValue("$task", taskId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<IReadOnlyDictionary<string, TaskBackoff>> AllBackoffsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT task_id, failures, not_before_ms, decided_at_ms, reason FROM task_backoff";
        var all = new Dictionary<string, TaskBackoff>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            all[reader.GetString(0)] = new TaskBackoff(
                reader.GetInt32(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.GetString(4));
        }

        return all;
    }

    /// <summary>Stores the reason; true when it differs from the one stored before (so it must be reported).</summary>
    internal static async Task<bool> SetReasonAsync(StoreTransaction tx, string taskId, string reason, CancellationToken cancellationToken)
    {
        await using var command = tx.Command("""
            INSERT INTO skip_reasons (task_id, reason, recorded_at_ms) VALUES ($task, $reason, $now)
            ON CONFLICT (task_id) DO UPDATE SET reason = excluded.reason, recorded_at_ms = excluded.recorded_at_ms
            WHERE skip_reasons.reason <> excluded.reason
            """);
        command.Parameters.AddWithValue("$task", taskId);
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$now", tx.NowMs);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    internal static async Task<TaskBackoff?> GetBackoffAsync(StoreTransaction tx, string taskId, CancellationToken cancellationToken)
    {
        await using var command = tx.Command("SELECT failures, not_before_ms, decided_at_ms, reason FROM task_backoff WHERE task_id = $task");
        command.Parameters.AddWithValue("$task", taskId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TaskBackoff(
                reader.GetInt32(0),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                reader.GetString(3))
            : null;
    }

    internal static async Task SetBackoffAsync(StoreTransaction tx, string taskId, TaskBackoff backoff, CancellationToken cancellationToken)
    {
        await using var command = tx.Command("""
            INSERT INTO task_backoff (task_id, failures, not_before_ms, decided_at_ms, reason) VALUES ($task, $failures, $nb, $decided, $reason)
            ON CONFLICT (task_id) DO UPDATE SET failures = excluded.failures, not_before_ms = excluded.not_before_ms,
                decided_at_ms = excluded.decided_at_ms, reason = excluded.reason
            """);
        command.Parameters.AddWithValue("$task", taskId);
        command.Parameters.AddWithValue("$failures", backoff.Failures);
        command.Parameters.AddWithValue("$nb", backoff.NotBefore.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$decided", backoff.DecidedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$reason", backoff.Reason);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task ClearBackoffAsync(StoreTransaction tx, string taskId, CancellationToken cancellationToken)
    {
        await using var command = tx.Command("DELETE FROM task_backoff WHERE task_id = $task");
        command.Parameters.AddWithValue("$task", taskId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
