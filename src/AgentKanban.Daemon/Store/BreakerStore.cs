using AgentKanban.Core.Policies;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>Per-runtime circuit breakers, persisted so a restart does not forget a runtime that keeps failing.</summary>
public sealed class BreakerStore(DaemonDatabase database)
{
    private const string Columns = "status, consecutive_failures, times_opened, opened_at_ms, open_until_ms, probe_started_at_ms";

    public async Task<IReadOnlyDictionary<string, CircuitBreakerState>> AllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT runtime, {Columns} FROM circuit_breakers";
        var states = new Dictionary<string, CircuitBreakerState>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            states[reader.GetString(0)] = Read(reader, 1);
        }

        return states;
    }

    internal static async Task<CircuitBreakerState> GetAsync(StoreTransaction tx, string runtime, CancellationToken cancellationToken)
    {
        await using var command = tx.Command($"SELECT {Columns} FROM circuit_breakers WHERE runtime = $runtime");
        command.Parameters.AddWithValue("$runtime", runtime);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : CircuitBreakerState.Closed;
    }

    internal static async Task SetAsync(StoreTransaction tx, string runtime, CircuitBreakerState state, CancellationToken cancellationToken)
    {
        if (state.Status == CircuitStatus.Closed && state.ConsecutiveFailures == 0)
        {
            await using var delete = tx.Command("DELETE FROM circuit_breakers WHERE runtime = $runtime");
            delete.Parameters.AddWithValue("$runtime", runtime);
            await delete.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        await using var upsert = tx.Command($"""
            INSERT INTO circuit_breakers (runtime, {Columns}, updated_at_ms)
            VALUES ($runtime, $status, $failures, $times, $opened, $until, $probe, $now)
            ON CONFLICT (runtime) DO UPDATE SET status = excluded.status, consecutive_failures = excluded.consecutive_failures,
                times_opened = excluded.times_opened, opened_at_ms = excluded.opened_at_ms, open_until_ms = excluded.open_until_ms,
                probe_started_at_ms = excluded.probe_started_at_ms, updated_at_ms = excluded.updated_at_ms
            """);
        upsert.Parameters.AddWithValue("$runtime", runtime);
        upsert.Parameters.AddWithValue("$status", (int)state.Status);
        upsert.Parameters.AddWithValue("$failures", state.ConsecutiveFailures);
        upsert.Parameters.AddWithValue("$times", state.TimesOpened);
        upsert.Parameters.AddWithValue("$opened", Ms(state.OpenedAt));
        upsert.Parameters.AddWithValue("$until", Ms(state.OpenUntil));
        upsert.Parameters.AddWithValue("$probe", Ms(state.ProbeStartedAt));
        upsert.Parameters.AddWithValue("$now", tx.NowMs);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static object Ms(DateTimeOffset? at) => at is { } value ? value.ToUnixTimeMilliseconds() : DBNull.Value;

    private static DateTimeOffset? At(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static CircuitBreakerState Read(SqliteDataReader reader, int first) => new(
        (CircuitStatus)reader.GetInt32(first),
        reader.GetInt32(first + 1),
        reader.GetInt32(first + 2),
        At(reader, first + 3),
        At(reader, first + 4),
        At(reader, first + 5));
}
