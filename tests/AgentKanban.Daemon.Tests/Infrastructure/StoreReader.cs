using AgentKanban.Core.Sessions;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>A session row as a test reads it from another process's store.</summary>
public sealed record StoredSessionView(string Id, string TaskId, SessionState State, long? ResumeAfterMs, string? LastReason, long? ClosedAtMs);

/// <summary>A tracked task of the review monitor as a test reads it.</summary>
public sealed record StoredReviewWatch(string TaskId, int Failures, long NextCheckMs, long? LastCheckedMs, string? LastError, string? BaseCommit);

/// <summary>
/// Reads a daemon's store read-only while the daemon (another process) writes it — WAL lets a reader run beside the
/// writer. Used to see what a daemon process persisted before it is killed.
/// </summary>
public static class StoreReader
{
    public static async Task<IReadOnlyList<StoredSessionView>> SessionsAsync(string stateDir)
    {
        var path = Path.Combine(stateDir, "daemon.db");
        if (!File.Exists(path))
        {
            return [];
        }

        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, task_id, state, resume_after_ms, last_reason, closed_at_ms FROM sessions ORDER BY created_at_ms";
        var list = new List<StoredSessionView>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                list.Add(new StoredSessionView(
                    reader.GetString(0),
                    reader.GetString(1),
                    StoredSessionStates.FromStored(reader.GetInt32(2)),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetInt64(5)));
            }
        }
        catch (SqliteException)
        {
            // Not migrated yet.
            return [];
        }

        return list;
    }

    /// <summary>The ids of the people's messages recorded as given to the session's agent (table <c>delivered_messages</c>).</summary>
    public static async Task<IReadOnlyList<string>> DeliveredMessagesAsync(string stateDir, string sessionId)
    {
        if (!File.Exists(Path.Combine(stateDir, "daemon.db")))
        {
            return [];
        }

        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT message_id FROM delivered_messages WHERE session_id = $session ORDER BY delivered_at_ms";
        command.Parameters.AddWithValue("$session", sessionId);
        var ids = new List<string>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetString(0));
            }
        }
        catch (SqliteException)
        {
            // Not migrated yet.
            return [];
        }

        return ids;
    }

    /// <summary>(pending, failed) outbox items.</summary>
    public static async Task<(long Pending, long Failed)> OutboxAsync(string stateDir)
    {
        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(failed_at_ms IS NULL), 0), COALESCE(SUM(failed_at_ms IS NOT NULL), 0) FROM outbox";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Outbox items the daemon gave up on (kind, reason, when), oldest first.</summary>
    public static async Task<IReadOnlyList<(string Kind, string? Reason, long FailedAtMs)>> DeadLettersAsync(string stateDir)
    {
        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT kind, last_error, failed_at_ms FROM outbox WHERE failed_at_ms IS NOT NULL ORDER BY id";
        var list = new List<(string, string?, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2)));
        }

        return list;
    }

    /// <summary>The runtime's stored pause: its end, when it was decided, and where its end came from (<c>PauseSource</c>).</summary>
    public static async Task<(long UntilMs, long DecidedAtMs, int Source)?> PauseAsync(string stateDir, string runtime)
    {
        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT until_ms, decided_at_ms, source FROM runtime_pauses WHERE runtime = $r";
        command.Parameters.AddWithValue("$r", runtime);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2)) : null;
    }

    public static async Task<long?> PauseUntilAsync(string stateDir, string runtime)
    {
        var path = Path.Combine(stateDir, "daemon.db");
        if (!File.Exists(path))
        {
            return null;
        }

        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT until_ms FROM runtime_pauses WHERE runtime = $r";
        command.Parameters.AddWithValue("$r", runtime);
        try
        {
            return await command.ExecuteScalarAsync() is long ms ? ms : null;
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    /// <summary>The worktree and branch of the task's latest session.</summary>
    public static async Task<(string Workspace, string Branch)?> WorkspaceAsync(string stateDir, string taskId)
    {
        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT workspace, branch FROM sessions WHERE task_id = $t ORDER BY created_at_ms DESC LIMIT 1";
        command.Parameters.AddWithValue("$t", taskId);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() && !reader.IsDBNull(0) && !reader.IsDBNull(1) ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    /// <summary>The review monitor's tracked tasks (table <c>review_watch</c>); empty before the store exists or is migrated.</summary>
    public static async Task<IReadOnlyList<StoredReviewWatch>> ReviewWatchesAsync(string stateDir)
    {
        if (!File.Exists(Path.Combine(stateDir, "daemon.db")))
        {
            return [];
        }

        await using var connection = await OpenAsync(stateDir);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT task_id, failures, next_check_ms, last_checked_ms, last_error, base_commit FROM review_watch ORDER BY tracked_at_ms";
        var list = new List<StoredReviewWatch>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                list.Add(new StoredReviewWatch(
                    reader.GetString(0),
                    reader.GetInt32(1),
                    reader.GetInt64(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }
        catch (SqliteException)
        {
            return [];
        }

        return list;
    }

    private static async Task<SqliteConnection> OpenAsync(string stateDir)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(stateDir, "daemon.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        return connection;
    }
}
