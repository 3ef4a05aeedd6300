using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>
/// The sessions table. Every state change is a <see cref="SessionTransitions"/> transition applied as a
/// compare-and-set (expected state and version) in ONE transaction together with the fields it changes
/// and whatever it implies (outbox reports, runtime pause, breaker, task notes).
/// </summary>
public sealed class SessionStore(DaemonDatabase database, TimeProvider timeProvider)
{
    private static readonly string WaitingStates =
        $"({SessionState.RateLimited.ToStoredValue()}, {SessionState.Suspended.ToStoredValue()}, {SessionState.InReview.ToStoredValue()})";

    private static readonly string SlotStates = $"({SessionState.Preparing.ToStoredValue()}, {SessionState.Active.ToStoredValue()})";

    public DaemonDatabase Database => database;

    /// <summary>Stores a new session (normally <see cref="SessionState.Preparing"/>) with anything that goes with it.</summary>
    public async Task<SessionRecord> InsertAsync(
        SessionRecord session,
        Func<StoreTransaction, SessionRecord, Task>? effects,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var now = timeProvider.GetUtcNow();
        var stored = session with { Version = 1, UpdatedAt = now };
        await database.TransactAsync(now, async tx =>
        {
            await using var insert = tx.Command(SessionRows.InsertSql);
            SessionRows.Bind(insert, stored);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            if (effects is not null)
            {
                await effects(tx, stored);
            }

            return true;
        }, cancellationToken);
        database.CrashPoints.Reached(CrashPoint.SessionStored);
        return stored;
    }

    /// <summary>
    /// Applies <paramref name="trigger"/> to the session if it is still in <paramref name="expectedFrom"/>:
    /// the new state, the fields <paramref name="change"/> sets and the <paramref name="effects"/> commit together.
    /// </summary>
    public Task<TransitionResult> TransitionAsync(
        string sessionId,
        SessionState expectedFrom,
        SessionTrigger trigger,
        Func<SessionRecord, SessionRecord>? change,
        Func<StoreTransaction, SessionRecord, Task>? effects,
        CancellationToken cancellationToken) =>
        TransitionWithAsync(
            sessionId,
            expectedFrom,
            trigger,
            (_, current) => ValueTask.FromResult(change?.Invoke(current) ?? current),
            effects,
            cancellationToken);

    /// <summary>
    /// As <see cref="TransitionAsync"/>, for a change that must read (or write) side tables in the same
    /// transaction first — the rate-limit rule reads the runtime's pause in force before deciding the resume time.
    /// </summary>
    public async Task<TransitionResult> TransitionWithAsync(
        string sessionId,
        SessionState expectedFrom,
        SessionTrigger trigger,
        Func<StoreTransaction, SessionRecord, ValueTask<SessionRecord>> change,
        Func<StoreTransaction, SessionRecord, Task>? effects,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var now = timeProvider.GetUtcNow();
        var result = await database.TransactAsync(now, async tx =>
        {
            var current = await ReadAsync(tx, sessionId, cancellationToken);
            if (current is null)
            {
                return new TransitionResult(TransitionStatus.NotFound, null, $"no session {sessionId}");
            }

            if (current.State != expectedFrom)
            {
                return new TransitionResult(TransitionStatus.LostRace, current,
                    $"session is {current.State.ToName()}, expected {expectedFrom.ToName()}");
            }

            var decision = SessionTransitions.Decide(current.State, trigger);
            if (!decision.IsAllowed)
            {
                return new TransitionResult(TransitionStatus.Illegal, current, SessionTransitions.DescribeIllegal(current.State, trigger));
            }

            var next = (await change(tx, current)) with
            {
                Id = current.Id,
                State = decision.To,
                Version = current.Version + 1,
                UpdatedAt = now,
                ClosedAt = decision.To == SessionState.Closed ? now : current.ClosedAt,
            };
            if (!await WriteAsync(tx, current, next, cancellationToken))
            {
                return new TransitionResult(TransitionStatus.LostRace, current, "session changed concurrently");
            }

            if (effects is not null)
            {
                await effects(tx, next);
            }

            return new TransitionResult(TransitionStatus.Applied, next);
        }, cancellationToken);

        if (result.Applied)
        {
            // Crash point: the new state and everything it implies are durable; nothing has acted on it yet.
            database.CrashPoints.Reached(CrashPoint.TransitionCommitted);
        }

        return result;
    }

    /// <summary>
    /// Changes fields that are not the state (resume token, pid, counters) in one transaction.
    /// <paramref name="change"/> returns null to change nothing. Returns the stored row, or null when the session is gone.
    /// </summary>
    public async Task<SessionRecord?> UpdateAsync(
        string sessionId,
        Func<SessionRecord, SessionRecord?> change,
        Func<StoreTransaction, SessionRecord, Task>? effects,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var now = timeProvider.GetUtcNow();
        return await database.TransactAsync(now, async tx =>
        {
            var current = await ReadAsync(tx, sessionId, cancellationToken);
            if (current is null)
            {
                return null;
            }

            var changed = change(current);
            if (changed is null)
            {
                return current;
            }

            var next = changed with
            {
                Id = current.Id,
                State = current.State,
                Version = current.Version + 1,
                UpdatedAt = now,
                ClosedAt = current.ClosedAt,
            };
            if (!await WriteAsync(tx, current, next, cancellationToken))
            {
                return current;
            }

            if (effects is not null)
            {
                await effects(tx, next);
            }

            return next;
        }, cancellationToken);
    }

    public async Task<SessionRecord?> GetAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SessionRows.Columns} FROM sessions WHERE id = $id";
        command.Parameters.AddWithValue("$id", sessionId);
        var rows = await ReadListAsync(command, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The open session of a task on this machine, if any.</summary>
    public async Task<SessionRecord?> FindOpenByTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SessionRows.Columns} FROM sessions WHERE task_id = $task AND closed_at_ms IS NULL";
        command.Parameters.AddWithValue("$task", taskId);
        var rows = await ReadListAsync(command, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Every session of a task on this machine, closed ones included, oldest first.</summary>
    public async Task<IReadOnlyList<SessionRecord>> ListByTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SessionRows.Columns} FROM sessions WHERE task_id = $task ORDER BY created_at_ms, id";
        command.Parameters.AddWithValue("$task", taskId);
        return await ReadListAsync(command, cancellationToken);
    }

    /// <summary>Every session that is not closed, oldest first.</summary>
    public async Task<IReadOnlyList<SessionRecord>> ListOpenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SessionRows.Columns} FROM sessions WHERE closed_at_ms IS NULL ORDER BY created_at_ms, id";
        return await ReadListAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<SessionRecord>> ListInStateAsync(SessionState state, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SessionRows.Columns} FROM sessions WHERE closed_at_ms IS NULL AND state = $state ORDER BY created_at_ms, id";
        command.Parameters.AddWithValue("$state", state.ToStoredValue());
        return await ReadListAsync(command, cancellationToken);
    }

    /// <summary>
    /// The due-session query: waiting sessions (rate limited, suspended, in review with a pending resume)
    /// whose resume time has come, earliest first. Served by the partial index <c>ix_sessions_due</c>.
    /// </summary>
    public async Task<IReadOnlyList<SessionRecord>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        return await DueAsync(connection, now, limit, cancellationToken);
    }

    internal static async Task<IReadOnlyList<SessionRecord>> DueAsync(SqliteConnection connection, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {SessionRows.Columns} FROM sessions INDEXED BY ix_sessions_due
            WHERE resume_after_ms IS NOT NULL AND closed_at_ms IS NULL AND resume_after_ms <= $now AND state IN {WaitingStates}
            ORDER BY resume_after_ms LIMIT $limit
            """;
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadListAsync(command, cancellationToken);
    }

    /// <summary>
    /// The due-session query as the loop runs it on every pass: only the ids of the waiting sessions whose resume time
    /// came, earliest first (each one is then loaded by whoever continues it).
    /// </summary>
    public async Task<IReadOnlyList<string>> DueIdsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT id FROM sessions INDEXED BY ix_sessions_due
            WHERE resume_after_ms IS NOT NULL AND closed_at_ms IS NULL AND resume_after_ms <= $now AND state IN {WaitingStates}
            ORDER BY resume_after_ms LIMIT $limit
            """;
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>The earliest resume time among waiting sessions (to arm the resume timer), or null.</summary>
    public async Task<DateTimeOffset?> NextResumeAtAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT MIN(resume_after_ms) FROM sessions INDEXED BY ix_sessions_due
            WHERE resume_after_ms IS NOT NULL AND closed_at_ms IS NULL AND state IN {WaitingStates}
            """;
        return await command.ExecuteScalarAsync(cancellationToken) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>Sessions holding a concurrency slot (preparing or active), per runtime.</summary>
    public async Task<IReadOnlyDictionary<string, int>> OccupancyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT runtime, COUNT(*) FROM sessions INDEXED BY ix_sessions_open WHERE closed_at_ms IS NULL AND state IN {SlotStates} GROUP BY runtime";
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    /// <summary>The tasks that have an open session here (never dispatched again while it lives).</summary>
    public async Task<IReadOnlySet<string>> OpenTaskIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT task_id FROM sessions WHERE closed_at_ms IS NULL";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// Makes every open rate-limited session of <paramref name="runtime"/> that waits for a later time due now (the
    /// provider allows work again). The state stays: each one resumes through the usual path.
    /// </summary>
    internal static async Task ResumeRateLimitedNowAsync(StoreTransaction tx, string runtime, CancellationToken cancellationToken)
    {
        await using var command = tx.Command(
            "UPDATE sessions SET resume_after_ms = $now, decided_at_ms = $now, version = version + 1, updated_at_ms = $now " +
            "WHERE runtime = $runtime AND state = $state AND closed_at_ms IS NULL AND resume_after_ms > $now");
        command.Parameters.AddWithValue("$now", tx.NowMs);
        command.Parameters.AddWithValue("$runtime", runtime);
        command.Parameters.AddWithValue("$state", SessionState.RateLimited.ToStoredValue());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<SessionRecord?> ReadAsync(StoreTransaction tx, string sessionId, CancellationToken cancellationToken)
    {
        await using var command = tx.Command($"SELECT {SessionRows.Columns} FROM sessions WHERE id = $id");
        command.Parameters.AddWithValue("$id", sessionId);
        var rows = await ReadListAsync(command, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<bool> WriteAsync(StoreTransaction tx, SessionRecord current, SessionRecord next, CancellationToken cancellationToken)
    {
        await using var update = tx.Command(SessionRows.UpdateSql);
        SessionRows.Bind(update, next);
        update.Parameters.AddWithValue("$expected_state", current.State.ToStoredValue());
        update.Parameters.AddWithValue("$expected_version", current.Version);
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<IReadOnlyList<SessionRecord>> ReadListAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<SessionRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(SessionRows.Read(reader));
        }

        return rows;
    }
}
