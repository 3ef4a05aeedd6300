using System.Data.Common;
using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>sessions</c> table: agent sessions, their epoch, status and usage counters.</summary>
public static class SessionRows
{
    private const string Columns =
        "id, agent_id, machine_id, task_id, status, epoch, input_tokens, output_tokens, cache_read_tokens, " +
        "cache_creation_tokens, cost_micro_usd, created_at, closed_at";

    /// <summary>What authenticating a session's token needs: the session, its public key and its agent.</summary>
    public sealed record Credentials(
        string OwnerId, string AgentId, string MachineId, string? TaskId, string Status, long Epoch, string PublicKey, string AgentKind, string Username);

    /// <summary>Filters for <see cref="ListAsync"/> (null = any).</summary>
    public sealed record Filter(string? TaskId, string? AgentId, string? MachineId, string? Status);

    /// <summary>A new active session.</summary>
    public sealed record NewSession(string Id, string OwnerId, string AgentId, string? MachineId, string? TaskId, long Epoch, string PublicKey);

    public static async Task<bool> ExistsAsync(DbScope db, string id, CancellationToken cancellationToken) =>
        await db.Command("SELECT 1 FROM sessions WHERE id = @id").Add("@id", id).ScalarAsync(cancellationToken) is not null;

    public static Task<int> InsertAsync(WriteTransaction tx, NewSession session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(session);
        return tx.Command("INSERT INTO sessions (id, owner_id, agent_id, machine_id, task_id, status, epoch, public_key, created_at) " +
                          "VALUES (@id, @o, @a, @m, @t, 'active', @e, @k, @now)")
            .Add("@id", session.Id).Add("@o", session.OwnerId).Add("@a", session.AgentId).Add("@m", session.MachineId).Add("@t", session.TaskId)
            .Add("@e", session.Epoch).Add("@k", session.PublicKey).Add("@now", now)
            .ExecAsync(cancellationToken);
    }

    public static async Task<SessionDto?> GetAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken)
    {
        await using var command = db.Command($"SELECT {Columns} FROM sessions WHERE id = @id AND owner_id = @o").Add("@id", id).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    /// <summary>The owner's newest sessions first (at most 1000).</summary>
    public static async Task<List<SessionDto>> ListAsync(DbScope db, string ownerId, Filter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var sql = new StringBuilder($"SELECT {Columns} FROM sessions WHERE owner_id = @o");
        await using var command = db.Command("").Add("@o", ownerId);
        if (filter.TaskId is not null)
        {
            sql.Append(" AND task_id = @t");
            command.Add("@t", filter.TaskId);
        }

        if (filter.AgentId is not null)
        {
            sql.Append(" AND agent_id = @a");
            command.Add("@a", filter.AgentId);
        }

        if (filter.MachineId is not null)
        {
            sql.Append(" AND machine_id = @m");
            command.Add("@m", filter.MachineId);
        }

        if (filter.Status is not null)
        {
            sql.Append(" AND status = @s");
            command.Add("@s", filter.Status);
        }

        command.CommandText = sql.Append(" ORDER BY created_seq DESC LIMIT 1000").ToString();
        var list = new List<SessionDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Map(reader));
        }

        return list;
    }

    /// <summary>Closes an active session (<paramref name="close"/>) or reopens a closed one; 0 when it already was.</summary>
    public static Task<int> SetStatusAsync(WriteTransaction tx, string id, bool close, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command(close
                ? "UPDATE sessions SET status = 'closed', closed_at = @now WHERE id = @id AND status = 'active'"
                : "UPDATE sessions SET status = 'active', closed_at = NULL WHERE id = @id AND status = 'closed'")
            .Add("@now", now).Add("@id", id)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Adds to the session's usage counters (they only ever add up).</summary>
    public static Task<int> AddUsageAsync(WriteTransaction tx, string id, SessionUsageRequest usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(usage);
        return tx.Command("UPDATE sessions SET input_tokens = input_tokens + @i, output_tokens = output_tokens + @o, " +
                          "cache_read_tokens = cache_read_tokens + @cr, cache_creation_tokens = cache_creation_tokens + @cc, " +
                          "cost_micro_usd = cost_micro_usd + @c WHERE id = @id")
            .Add("@i", usage.InputTokens).Add("@o", usage.OutputTokens).Add("@cr", usage.CacheReadTokens)
            .Add("@cc", usage.CacheCreationTokens).Add("@c", usage.CostMicroUsd).Add("@id", id)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Token and cost totals of the sessions of one board or one agent.</summary>
    public sealed record UsageTotal(
        string Id, string Name, long Sessions, long InputTokens, long OutputTokens, long CacheReadTokens, long CacheCreationTokens, long CostMicroUsd);

    private const string Sums =
        "COUNT(s.id), CAST(SUM(s.input_tokens) AS bigint), CAST(SUM(s.output_tokens) AS bigint), " +
        "CAST(SUM(s.cache_read_tokens) AS bigint), CAST(SUM(s.cache_creation_tokens) AS bigint), CAST(SUM(s.cost_micro_usd) AS bigint)";

    /// <summary>The owner's session totals per board (through the sessions' tasks), by board name.</summary>
    public static Task<List<UsageTotal>> TotalsByBoardAsync(DbScope db, string ownerId, CancellationToken cancellationToken) =>
        TotalsAsync(db,
            $"SELECT b.id, b.name, {Sums} FROM sessions s JOIN tasks t ON t.id = s.task_id JOIN boards b ON b.id = t.board_id " +
            "WHERE s.owner_id = @o GROUP BY b.id, b.name ORDER BY b.name", ownerId, cancellationToken);

    /// <summary>The owner's session totals per agent, by username.</summary>
    public static Task<List<UsageTotal>> TotalsByAgentAsync(DbScope db, string ownerId, CancellationToken cancellationToken) =>
        TotalsAsync(db,
            $"SELECT a.id, a.username, {Sums} FROM sessions s JOIN agents a ON a.id = s.agent_id " +
            "WHERE s.owner_id = @o GROUP BY a.id, a.username ORDER BY a.username", ownerId, cancellationToken);

    private static async Task<List<UsageTotal>> TotalsAsync(DbScope db, string sql, string ownerId, CancellationToken cancellationToken)
    {
        await using var command = db.Command(sql).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<UsageTotal>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new UsageTotal(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
                reader.GetInt64(6), reader.GetInt64(7)));
        }

        return list;
    }

    /// <summary>The session (of any owner: the token names it) with its key and agent, or null.</summary>
    public static async Task<Credentials?> FindCredentialsAsync(DbScope db, string id, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
            "SELECT s.owner_id, s.agent_id, s.machine_id, s.task_id, s.status, s.epoch, s.public_key, a.kind, a.username " +
            "FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE s.id = @id").Add("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Credentials(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetString(4),
                reader.GetInt64(5), reader.GetString(6), reader.GetString(7), reader.GetString(8))
            : null;
    }

    /// <summary>What a batch of agent events needs to know about its session (see <see cref="LockAsync"/>).</summary>
    public sealed record Locked(string MachineId, string? TaskId, long Epoch, string Status, string AgentKind);

    /// <summary>
    /// Inside a write: the owner's session with its agent's kind, or null. On PostgreSQL the session row is locked to the
    /// commit, so two batches of one session are applied one after the other and seq order holds.
    /// </summary>
    public static async Task<Locked?> LockAsync(WriteTransaction tx, string ownerId, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(
                "SELECT s.machine_id, s.task_id, s.epoch, s.status, a.kind FROM sessions s JOIN agents a ON a.id = s.agent_id " +
                "WHERE s.id = @id AND s.owner_id = @o" + (tx.Kind == StorageKind.Postgres ? " FOR UPDATE OF s" : ""))
            .Add("@id", sessionId).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Locked(reader.GetString(0), reader.GetStringOrNull(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4))
            : null;
    }

    private static SessionDto Map(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        AgentId = r.GetString(1),
        MachineId = r.GetString(2),
        TaskId = r.GetStringOrNull(3),
        Status = r.GetString(4),
        Epoch = r.GetInt64(5),
        InputTokens = r.GetInt64(6),
        OutputTokens = r.GetInt64(7),
        CacheReadTokens = r.GetInt64(8),
        CacheCreationTokens = r.GetInt64(9),
        CostMicroUsd = r.GetInt64(10),
        CreatedAt = r.GetTime(11),
        ClosedAt = r.GetTimeOrNull(12),
    };
}
