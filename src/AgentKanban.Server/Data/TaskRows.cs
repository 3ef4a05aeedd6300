using System.Data.Common;
using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>
/// The <c>tasks</c> table with its <c>task_labels</c> and <c>task_dependencies</c>: reading tasks (with their computed labels,
/// dependencies and <c>blocked</c>) as <see cref="TaskDto"/> here; creating and editing them, the status transitions and
/// the leases in the other parts of this class.
/// </summary>
public static partial class TaskRows
{
    private static readonly string SqliteSelect = BuildSelect(SqlDialect.Sqlite);
    private static readonly string PostgresSelect = BuildSelect(SqlDialect.Postgres);

    /// <summary>Filters for <see cref="ListAsync"/>; each is an already resolved id (null = any).</summary>
    public sealed record Filter(
        string? BoardId = null,
        string? Status = null,
        string? Label = null,
        string? AssignedTo = null,
        string? RepositoryId = null,
        string? ParentId = null,
        int Limit = 5000);

    public static string Select(SqlDialect dialect) => dialect.Kind == StorageKind.Sqlite ? SqliteSelect : PostgresSelect;

    public static async Task<TaskDto?> GetAsync(DbScope db, string ownerId, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.Command(Select(db.Dialect) + " WHERE t.id = @id AND t.owner_id = @owner")
            .Add("@id", id).Add("@owner", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader, now) : null;
    }

    public static async Task<List<TaskDto>> ListAsync(DbScope db, string ownerId, Filter filter, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var sql = new StringBuilder(Select(db.Dialect)).Append(" WHERE t.owner_id = @owner");
        await using var command = db.Command("");
        command.Add("@owner", ownerId);
        if (filter.BoardId is not null)
        {
            sql.Append(" AND t.board_id = @board");
            command.Add("@board", filter.BoardId);
        }

        if (filter.Status is not null)
        {
            sql.Append(" AND t.status = @status");
            command.Add("@status", filter.Status);
        }

        if (filter.Label is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM task_labels fl WHERE fl.task_id = t.id AND fl.name = @label)");
            command.Add("@label", filter.Label);
        }

        if (filter.AssignedTo is not null)
        {
            sql.Append(" AND t.assigned_to = @assigned");
            command.Add("@assigned", filter.AssignedTo);
        }

        if (filter.RepositoryId is not null)
        {
            sql.Append(" AND t.repository_id = @repo");
            command.Add("@repo", filter.RepositoryId);
        }

        if (filter.ParentId is not null)
        {
            sql.Append(" AND t.parent_id = @parent");
            command.Add("@parent", filter.ParentId);
        }

        sql.Append(" ORDER BY t.board_id, t.position, t.seq LIMIT @limit");
        command.Add("@limit", (long)filter.Limit);
        command.CommandText = sql.ToString();
        var tasks = new List<TaskDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tasks.Add(Map(reader, now));
        }

        return tasks;
    }

    /// <summary>
    /// Inside a write: the task's epoch and board, or null when the owner has no such task. The row is share-locked
    /// (PostgreSQL) to the commit, so a lease expiry or a re-lease cannot slip in before it.
    /// </summary>
    public static async Task<(long Epoch, string BoardId)?> LockSharedAsync(WriteTransaction tx, string ownerId, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command("SELECT epoch, board_id FROM tasks WHERE id = @id AND owner_id = @o" + tx.Dialect.ForShare)
            .Add("@id", id).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    /// <summary>
    /// Since when each of the owner's tasks on the board sits in its column: the newest of its activity entries with one of
    /// <paramref name="columnChanges"/> (the actions that move a task), or its creation when it never moved.
    /// </summary>
    public static async Task<List<(string TaskId, string Status, DateTimeOffset Since)>> ColumnTimesAsync(
        DbScope db, string ownerId, string boardId, IReadOnlyList<string> columnChanges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(columnChanges);
        var placeholders = string.Join(", ", columnChanges.Select((_, i) => "@a" + i));
        await using var command = db.Command(
                "SELECT t.id, t.status, t.created_at, " +
                $"(SELECT MAX(a.created_at) FROM activity a WHERE a.task_id = t.id AND a.action IN ({placeholders})) " +
                "FROM tasks t WHERE t.board_id = @b AND t.owner_id = @o")
            .Add("@b", boardId).Add("@o", ownerId);
        for (var i = 0; i < columnChanges.Count; i++)
        {
            command.Add("@a" + i, columnChanges[i]);
        }

        var list = new List<(string, string, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((reader.GetString(0), reader.GetString(1), reader.GetTimeOrNull(3) ?? reader.GetTime(2)));
        }

        return list;
    }

    /// <summary>The owner of a task row read with <see cref="Select"/> (column after the DTO's).</summary>
    public static string OwnerOf(DbDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetString(24);
    }

    public static TaskDto Map(DbDataReader r, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(r);
        var leaseMachine = r.GetStringOrNull(14);
        var leaseExpires = r.GetTimeOrNull(15);
        var epoch = r.GetInt64(13);
        return new TaskDto
        {
            Id = r.GetString(0),
            BoardId = r.GetString(1),
            Seq = r.GetInt64(2),
            Status = r.GetString(3),
            Title = r.GetString(4),
            Description = r.GetStringOrNull(5),
            RepositoryId = r.GetStringOrNull(6),
            AssignedTo = r.GetStringOrNull(7),
            PrUrl = r.GetStringOrNull(8),
            ScheduledAt = r.GetTimeOrNull(9),
            ParentId = r.GetStringOrNull(10),
            Position = r.GetInt64(11),
            CreatedBy = r.GetStringOrNull(12),
            Epoch = epoch,
            Lease = leaseMachine is not null && leaseExpires is { } expires && expires > now
                ? new TaskLeaseDto(leaseMachine, epoch, expires)
                : null,
            Why = r.GetStringOrNull(16),
            WhyAt = r.GetTimeOrNull(17),
            ActiveSessionId = r.GetStringOrNull(18),
            CreatedAt = r.GetTime(19),
            UpdatedAt = r.GetTime(20),
            Labels = r.GetSeparated(21),
            DependsOn = r.GetSeparated(22),
            Blocked = r.GetBoolean(23),
        };
    }

    private static string BuildSelect(SqlDialect d)
    {
        var labels = string.Format(System.Globalization.CultureInfo.InvariantCulture, d.JoinSeparated, "l.name");
        var deps = string.Format(System.Globalization.CultureInfo.InvariantCulture, d.JoinSeparated, "d.depends_on");
        return "SELECT t.id, t.board_id, t.seq, t.status, t.title, t.description, t.repository_id, t.assigned_to, t.pr_url, " +
               "t.scheduled_at, t.parent_id, t.position, t.created_by, t.epoch, t.lease_machine_id, t.lease_expires_at, " +
               "t.why, t.why_at, t.active_session_id, t.created_at, t.updated_at, " +
               $"(SELECT {labels} FROM task_labels l WHERE l.task_id = t.id), " +
               $"(SELECT {deps} FROM task_dependencies d WHERE d.task_id = t.id), " +
               "EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks x ON x.id = d.depends_on " +
               $"WHERE d.task_id = t.id AND x.status NOT IN ('{TaskStatusNames.Done}', '{TaskStatusNames.Cancelled}')), " +
               "t.owner_id FROM tasks t";
    }
}
