using AgentKanban.Core.Sessions;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>A task in review this machine worked on, as the review monitor keeps it.</summary>
/// <param name="BaseCommit">The commit the session branch started from, once known (its tip beyond it is the work).</param>
/// <param name="Failures">Consecutive checks that could not be made (GitHub refused or rate-limited, the repository unreachable).</param>
public sealed record ReviewWatch(
    string TaskId,
    string SessionId,
    string? RepositoryUrl,
    string? Branch,
    string? BaseCommit,
    int Failures,
    DateTimeOffset NextCheck,
    string? LastError,
    DateTimeOffset? LastChecked,
    DateTimeOffset TrackedAt);

/// <summary>
/// The review monitor's durable set (table <c>review_watch</c>): every task in review that a session of this machine
/// worked on, until the task is done, cancelled or deleted. Rows are added from the sessions table itself (every open
/// in-review session), so no path into review can miss one, and they outlive the session.
/// </summary>
public sealed class ReviewWatchStore(DaemonDatabase database)
{
    private const string Columns =
        "task_id, session_id, repository_url, branch, base_commit, failures, next_check_ms, last_error, last_checked_ms, tracked_at_ms";

    /// <summary>
    /// Tracks the task of every open in-review session that is not tracked yet (or tracked for an earlier session of the
    /// same task: the newer session's branch is the one to look at). Returns how many rows were added or changed.
    /// </summary>
    public async Task<int> TrackInReviewSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Read first: most passes find nothing new, and a read needs no write lock or disk sync.
        await using (var connection = await database.OpenReadAsync(cancellationToken))
        {
            await using var probe = connection.CreateCommand();
            probe.CommandText = """
                SELECT EXISTS (SELECT 1 FROM sessions s LEFT JOIN review_watch w ON w.task_id = s.task_id
                               WHERE s.closed_at_ms IS NULL AND s.state = $state AND (w.task_id IS NULL OR w.session_id <> s.id))
                """;
            probe.Parameters.AddWithValue("$state", SessionState.InReview.ToStoredValue());
            if (await probe.ExecuteScalarAsync(cancellationToken) is not 1L)
            {
                return 0;
            }
        }

        return await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO review_watch (task_id, session_id, repository_url, branch, next_check_ms, tracked_at_ms)
                SELECT task_id, id, repository_url, branch, $now, $now FROM sessions WHERE closed_at_ms IS NULL AND state = $state
                ON CONFLICT (task_id) DO UPDATE SET session_id = excluded.session_id, repository_url = excluded.repository_url,
                    branch = excluded.branch, base_commit = NULL, failures = 0, next_check_ms = excluded.next_check_ms, last_error = NULL
                WHERE review_watch.session_id <> excluded.session_id
                """;
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$state", SessionState.InReview.ToStoredValue());
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    /// <summary>The tracked tasks whose next check is due, earliest first.</summary>
    public async Task<IReadOnlyList<ReviewWatch>> DueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM review_watch WHERE next_check_ms <= $now ORDER BY next_check_ms, task_id";
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        return await ReadListAsync(command, cancellationToken);
    }

    /// <summary>Every tracked task.</summary>
    public async Task<IReadOnlyList<ReviewWatch>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM review_watch ORDER BY tracked_at_ms, task_id";
        return await ReadListAsync(command, cancellationToken);
    }

    /// <summary>When the earliest check is due, or null when nothing is tracked.</summary>
    public async Task<DateTimeOffset?> NextCheckAtAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MIN(next_check_ms) FROM review_watch";
        return await command.ExecuteScalarAsync(cancellationToken) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>Records a check: when the next one is due, the failure streak, the error and the branch's base once known.</summary>
    public Task RecordCheckAsync(
        string taskId, string sessionId, DateTimeOffset checkedAt, DateTimeOffset next, int failures, string? error, string? baseCommit,
        CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // Guarded by the session: a newer session of the task that replaced the row in the meantime keeps its own.
            command.CommandText = """
                UPDATE review_watch SET next_check_ms = $next, failures = $failures, last_error = $error, last_checked_ms = $checked,
                    base_commit = COALESCE(base_commit, $base)
                WHERE task_id = $task AND session_id = $session
                """;
            command.Parameters.AddWithValue("$next", next.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$failures", failures);
            command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            command.Parameters.AddWithValue("$checked", checkedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$base", (object?)baseCommit ?? DBNull.Value);
            command.Parameters.AddWithValue("$task", taskId);
            command.Parameters.AddWithValue("$session", sessionId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>Stops tracking the task (done, cancelled or deleted).</summary>
    public Task RemoveAsync(string taskId, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM review_watch WHERE task_id = $task";
            command.Parameters.AddWithValue("$task", taskId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    private static async Task<IReadOnlyList<ReviewWatch>> ReadListAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<ReviewWatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ReviewWatch(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetInt32(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9))));
        }

        return rows;
    }
}
