using AgentKanban.Core.Sessions;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>A runtime paused until a time, as <c>ak daemon status</c> shows it.</summary>
public sealed record PausedRuntime(string Runtime, DateTimeOffset Until, string Reason);

/// <summary>A report to the server the daemon set aside for good (never sent again), as <c>ak daemon status</c> shows it.</summary>
public sealed record DeadLetter(long Id, string Kind, string Method, string Path, string Reason, DateTimeOffset At, int Attempts);

/// <summary>
/// What the daemon's store holds, read from outside the daemon: open sessions by state, closed ones, pauses, and the
/// outbox: reports waiting to be delivered, and the dead letters (all counted, the newest <see cref="MaxDeadLetters"/> listed).
/// </summary>
public sealed record StoreSnapshot(
    IReadOnlyDictionary<string, long> OpenSessionsByState,
    long ClosedSessions,
    IReadOnlyList<PausedRuntime> Pauses,
    long PendingReports,
    long DeadLetterCount,
    IReadOnlyList<DeadLetter> DeadLetters)
{
    /// <summary>How many of the newest dead letters a snapshot lists.</summary>
    public const int MaxDeadLetters = 50;

    /// <summary>
    /// Reads the store at <paramref name="path"/> read-only, from another process, beside a running daemon. Null when
    /// there is no store yet. The connection is opened read-only and unpooled and only ever reads: no pragma that
    /// writes (not even <c>journal_mode</c>), no migration, so it can neither corrupt nor hold up the daemon. In WAL
    /// mode readers never block the writer; the one wait it could meet (recovery of a crashed writer's WAL index) is
    /// bounded by a short busy timeout.
    /// </summary>
    public static async Task<StoreSnapshot?> ReadAsync(string path, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 2,
        }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var timeout = connection.CreateCommand())
        {
            timeout.CommandText = "PRAGMA busy_timeout=2000";
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }

        // One read transaction: the counts and the pauses come from the same snapshot of the store.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var byState = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long closed = 0;
        await using (var sessions = connection.CreateCommand())
        {
            sessions.Transaction = transaction;
            sessions.CommandText = "SELECT state, closed_at_ms IS NULL AS open, COUNT(*) FROM sessions GROUP BY state, open";
            await using var reader = await sessions.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var count = reader.GetInt64(2);
                if (reader.GetInt64(1) == 0)
                {
                    closed += count;
                    continue;
                }

                var name = StoredSessionStates.TryFromStored(reader.GetInt32(0), out var state) ? state.ToName() : "unknown";
                byState[name] = byState.GetValueOrDefault(name) + count;
            }
        }

        var pauses = new List<PausedRuntime>();
        await using (var paused = connection.CreateCommand())
        {
            paused.Transaction = transaction;
            paused.CommandText = "SELECT runtime, until_ms, reason FROM runtime_pauses WHERE until_ms > $now ORDER BY runtime";
            paused.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            await using var reader = await paused.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pauses.Add(new PausedRuntime(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
            }
        }

        long pending = 0, deadCount = 0;
        await using (var counts = connection.CreateCommand())
        {
            counts.Transaction = transaction;
            counts.CommandText = "SELECT COALESCE(SUM(failed_at_ms IS NULL), 0), COALESCE(SUM(failed_at_ms IS NOT NULL), 0) FROM outbox";
            await using var reader = await counts.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                pending = reader.GetInt64(0);
                deadCount = reader.GetInt64(1);
            }
        }

        var dead = new List<DeadLetter>();
        await using (var letters = connection.CreateCommand())
        {
            letters.Transaction = transaction;
            letters.CommandText = "SELECT id, kind, method, path, last_error, failed_at_ms, attempts FROM outbox WHERE failed_at_ms IS NOT NULL "
                + "ORDER BY failed_at_ms DESC, id DESC LIMIT $limit";
            letters.Parameters.AddWithValue("$limit", MaxDeadLetters);
            await using var reader = await letters.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                dead.Add(new DeadLetter(
                    reader.GetInt64(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.IsDBNull(4) ? "(no reason recorded)" : reader.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                    reader.GetInt32(6)));
            }
        }

        return new StoreSnapshot(byState, closed, pauses, pending, deadCount, dead);
    }
}
