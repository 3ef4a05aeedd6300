using AgentKanban.Core.Policies;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>A runtime's pause window with the reason it was decided, as stored.</summary>
public sealed record StoredPause(string Runtime, RuntimePause Pause, string Reason);

/// <summary>
/// Runtime pause windows (rate limits). Written in the same transaction as the session's resume time,
/// before anything in memory reacts; read back at start so a paused runtime stays paused across restarts.
/// </summary>
public sealed class PauseStore(DaemonDatabase database)
{
    public async Task<IReadOnlyList<StoredPause>> AllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT runtime, until_ms, decided_at_ms, source, past_reset_streak, limit_window, reason FROM runtime_pauses ORDER BY runtime";
        var pauses = new List<StoredPause>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pauses.Add(new StoredPause(reader.GetString(0), Read(reader, 1), reader.GetString(6)));
        }

        return pauses;
    }

    internal static async Task<RuntimePause?> GetAsync(StoreTransaction tx, string runtime, CancellationToken cancellationToken)
    {
        await using var command = tx.Command("SELECT until_ms, decided_at_ms, source, past_reset_streak, limit_window FROM runtime_pauses WHERE runtime = $runtime");
        command.Parameters.AddWithValue("$runtime", runtime);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : null;
    }

    internal static async Task SetAsync(StoreTransaction tx, string runtime, RuntimePause? pause, string reason, CancellationToken cancellationToken)
    {
        if (pause is null)
        {
            await using var delete = tx.Command("DELETE FROM runtime_pauses WHERE runtime = $runtime");
            delete.Parameters.AddWithValue("$runtime", runtime);
            await delete.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        await using var upsert = tx.Command("""
            INSERT INTO runtime_pauses (runtime, until_ms, decided_at_ms, source, past_reset_streak, limit_window, reason, updated_at_ms)
            VALUES ($runtime, $until, $decided, $source, $streak, $window, $reason, $now)
            ON CONFLICT (runtime) DO UPDATE SET until_ms = excluded.until_ms, decided_at_ms = excluded.decided_at_ms,
                source = excluded.source, past_reset_streak = excluded.past_reset_streak, limit_window = excluded.limit_window,
                reason = excluded.reason, updated_at_ms = excluded.updated_at_ms
            """);
        upsert.Parameters.AddWithValue("$runtime", runtime);
        upsert.Parameters.AddWithValue("$until", pause.Until.ToUnixTimeMilliseconds());
        upsert.Parameters.AddWithValue("$decided", pause.DecidedAt.ToUnixTimeMilliseconds());
        upsert.Parameters.AddWithValue("$source", (int)pause.Source);
        upsert.Parameters.AddWithValue("$streak", pause.PastResetStreak);
        upsert.Parameters.AddWithValue("$window", (object?)pause.Window ?? DBNull.Value);
        upsert.Parameters.AddWithValue("$reason", reason);
        upsert.Parameters.AddWithValue("$now", tx.NowMs);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads until, decided, source, streak and window from column <paramref name="first"/> on.</summary>
    private static RuntimePause Read(SqliteDataReader reader, int first) => new(
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first)),
        (PauseSource)reader.GetInt32(first + 2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 1)),
        reader.GetInt32(first + 3),
        reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4));
}
