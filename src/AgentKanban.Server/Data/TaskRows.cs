using System.Data.Common;
using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>Reading tasks (with their computed labels, dependencies and <c>blocked</c>) as <see cref="TaskDto"/>.</summary>
public static class TaskRows
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

    public static async Task<List<ActivityDto>> ActivityAsync(DbScope db, string taskId, int limit, CancellationToken cancellationToken)
    {
        // The newest entries, returned oldest first.
        await using var command = db.Command(
            "SELECT id, task_id, actor_type, actor_id, action, detail, session_id, created_at FROM " +
            "(SELECT * FROM activity WHERE task_id = @task ORDER BY seq DESC LIMIT @limit) a ORDER BY seq")
            .Add("@task", taskId).Add("@limit", (long)limit);
        var list = new List<ActivityDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ActivityDto(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetStringOrNull(5), reader.GetStringOrNull(6), reader.GetTime(7)));
        }

        return list;
    }

    public static async Task<List<MessageDto>> MessagesAsync(DbScope db, string taskId, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
            "SELECT id, task_id, sender_type, sender_id, content, created_at FROM " +
            "(SELECT * FROM messages WHERE task_id = @task ORDER BY seq DESC LIMIT @limit) m ORDER BY seq")
            .Add("@task", taskId).Add("@limit", (long)limit);
        var list = new List<MessageDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new MessageDto(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetTime(5)));
        }

        return list;
    }

    /// <summary>Inserts one activity entry and returns it.</summary>
    public static async Task<ActivityDto> AddActivityAsync(
        WriteTransaction tx, string taskId, string actorType, string actorId, string action, string? detail, string? sessionId,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var activity = new ActivityDto(Ids.New(), taskId, actorType, actorId, action, detail, sessionId, now);
        await tx.Command(
            "INSERT INTO activity (id, task_id, actor_type, actor_id, action, detail, session_id, created_at) " +
            "VALUES (@id, @task, @type, @actor, @action, @detail, @session, @at)")
            .Add("@id", activity.Id).Add("@task", taskId).Add("@type", actorType).Add("@actor", actorId)
            .Add("@action", action).Add("@detail", detail).Add("@session", sessionId).Add("@at", now)
            .ExecAsync(cancellationToken);
        return activity;
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
