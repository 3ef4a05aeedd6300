using System.Data.Common;
using System.Text;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>Creating, editing and deleting tasks, their labels and dependencies.</summary>
public static partial class TaskRows
{
    /// <summary>Serialises dependency edits across PostgreSQL instances so two concurrent edits cannot close a cycle.</summary>
    private const long DependencyLockKey = 0x616b5f6465707321; // "ak_deps!"

    /// <summary>A new todo task (its position is its number on the board, its epoch 0).</summary>
    public sealed record NewTask(
        string Id,
        string OwnerId,
        string BoardId,
        long Seq,
        string Title,
        string? Description,
        string? RepositoryId,
        string? AssignedTo,
        DateTimeOffset? ScheduledAt,
        string? ParentId,
        string CreatedBy);

    public static Task<int> InsertAsync(WriteTransaction tx, NewTask task, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(task);
        return tx.Command("INSERT INTO tasks (id, owner_id, board_id, seq, status, title, description, repository_id, assigned_to, " +
                          "scheduled_at, parent_id, position, created_by, epoch, created_at, updated_at) VALUES " +
                          "(@id, @o, @b, @seq, @status, @title, @d, @r, @a, @sched, @parent, @seq, @by, 0, @now, @now)")
            .Add("@id", task.Id).Add("@o", task.OwnerId).Add("@b", task.BoardId).Add("@seq", task.Seq).Add("@status", TaskStatusNames.Todo)
            .Add("@title", task.Title).Add("@d", task.Description).Add("@r", task.RepositoryId).Add("@a", task.AssignedTo)
            .Add("@sched", task.ScheduledAt).Add("@parent", task.ParentId).Add("@by", task.CreatedBy).Add("@now", now)
            .ExecAsync(cancellationToken);
    }

    /// <summary>The board of the owner's task, or null when there is no such task.</summary>
    public static async Task<string?> BoardOfAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken) =>
        (string?)await db.Command("SELECT board_id FROM tasks WHERE id = @id AND owner_id = @o").Add("@id", id).Add("@o", ownerId)
            .ScalarAsync(cancellationToken);

    /// <summary>Inside a write: locks the row (PostgreSQL) so concurrent edits of one task apply one after the other; false when there is no such task.</summary>
    public static async Task<bool> LockForUpdateAsync(WriteTransaction tx, string ownerId, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return await tx.Command("SELECT 1 FROM tasks WHERE id = @id AND owner_id = @o" + tx.Dialect.ForUpdate)
            .Add("@id", id).Add("@o", ownerId).ScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Writes the columns the patch sets, and <c>updated_at</c>; returns the number of rows changed (0 when the patch
    /// reassigns a task that is not todo). Every value is a parameter; only the column list depends on the patch.
    /// </summary>
    public static async Task<int> UpdateAsync(WriteTransaction tx, string ownerId, string id, TaskPatch patch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(patch);
        var sql = new StringBuilder("UPDATE tasks SET updated_at = @now");
        await using var command = tx.Command("");
        command.Add("@now", now).Add("@id", id).Add("@o", ownerId);
        void Set(string column, string parameter, Action<DbCommand> bind)
        {
            sql.Append(", ").Append(column).Append(" = ").Append(parameter);
            bind(command);
        }

        if (patch.Title is { } title)
        {
            Set("title", "@title", c => c.Add("@title", title));
        }

        if (patch.Description is { } description)
        {
            Set("description", "@d", c => c.Add("@d", description.Value));
        }

        if (patch.RepositoryId is { } repository)
        {
            Set("repository_id", "@r", c => c.Add("@r", repository.Value));
        }

        if (patch.PrUrl is { } prUrl)
        {
            Set("pr_url", "@pr", c => c.Add("@pr", prUrl.Value));
        }

        if (patch.ScheduledAt is { } schedule)
        {
            Set("scheduled_at", "@sched", c => c.Add("@sched", schedule.Value));
        }

        if (patch.Position is { } position)
        {
            Set("position", "@pos", c => c.Add("@pos", position));
        }

        if (patch.AssignedTo is { } assignee)
        {
            // A new assignee invalidates any lease taken for the old one.
            Set("assigned_to", "@a", c => c.Add("@a", assignee.Value));
            sql.Append(", lease_machine_id = NULL, lease_expires_at = NULL, epoch = epoch + 1");
        }

        sql.Append(" WHERE id = @id AND owner_id = @o");
        if (patch.AssignedTo is not null)
        {
            sql.Append(" AND status = @todo");
            command.Add("@todo", TaskStatusNames.Todo);
        }

        command.CommandText = sql.ToString();
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes a todo, done or cancelled task; returns 0 when the task is in another state (or missing).</summary>
    public static Task<int> DeleteSettledAsync(WriteTransaction tx, string ownerId, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM tasks WHERE id = @id AND owner_id = @o AND status IN (@a, @b, @c)")
            .Add("@id", id).Add("@o", ownerId)
            .Add("@a", TaskStatusNames.Todo).Add("@b", TaskStatusNames.Done).Add("@c", TaskStatusNames.Cancelled)
            .ExecAsync(cancellationToken);
    }

    public static async Task AddLabelsAsync(WriteTransaction tx, string taskId, IEnumerable<string> labels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var label in labels)
        {
            await tx.Command("INSERT INTO task_labels (task_id, name) VALUES (@t, @n)").Add("@t", taskId).Add("@n", label).ExecAsync(cancellationToken);
        }
    }

    public static async Task ReplaceLabelsAsync(WriteTransaction tx, string taskId, IEnumerable<string> labels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await tx.Command("DELETE FROM task_labels WHERE task_id = @id").Add("@id", taskId).ExecAsync(cancellationToken);
        await AddLabelsAsync(tx, taskId, labels, cancellationToken);
    }

    /// <summary>The tasks of a board that carry the label.</summary>
    public static async Task<List<string>> WithLabelAsync(DbScope db, string boardId, string label, CancellationToken cancellationToken)
    {
        var tasks = new List<string>();
        await using var command = db.Command("SELECT l.task_id FROM task_labels l JOIN tasks t ON t.id = l.task_id WHERE t.board_id = @b AND l.name = @n")
            .Add("@b", boardId).Add("@n", label);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tasks.Add(reader.GetString(0));
        }

        return tasks;
    }

    /// <summary>Takes a (deleted) label off one task.</summary>
    public static async Task RemoveLabelAsync(WriteTransaction tx, string taskId, string label, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await tx.Command("DELETE FROM task_labels WHERE task_id = @t AND name = @n").Add("@t", taskId).Add("@n", label).ExecAsync(cancellationToken);
        await tx.Command("UPDATE tasks SET updated_at = @now WHERE id = @t").Add("@now", now).Add("@t", taskId).ExecAsync(cancellationToken);
    }

    public static async Task AddDependenciesAsync(WriteTransaction tx, string taskId, IEnumerable<string> dependsOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(dependsOn);
        foreach (var dependency in dependsOn)
        {
            await tx.Command("INSERT INTO task_dependencies (task_id, depends_on) VALUES (@t, @d)").Add("@t", taskId).Add("@d", dependency)
                .ExecAsync(cancellationToken);
        }
    }

    public static async Task ReplaceDependenciesAsync(WriteTransaction tx, string taskId, IEnumerable<string> dependsOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await tx.Command("DELETE FROM task_dependencies WHERE task_id = @id").Add("@id", taskId).ExecAsync(cancellationToken);
        await AddDependenciesAsync(tx, taskId, dependsOn, cancellationToken);
    }

    /// <summary>
    /// Inside a write that is about to check dependencies for a cycle: on PostgreSQL, waits for other instances' dependency
    /// edits to commit (a transaction-scoped advisory lock), so two concurrent edits cannot each close half a cycle.
    /// SQLite has one writer already.
    /// </summary>
    public static async Task LockDependencyEditsAsync(WriteTransaction tx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (tx.Kind == StorageKind.Postgres)
        {
            await tx.Command("SELECT pg_advisory_xact_lock(@k)").Add("@k", DependencyLockKey).ExecAsync(cancellationToken);
        }
    }

    /// <summary>Every dependency edge of the owner's tasks: task → the tasks it depends on.</summary>
    public static async Task<Dictionary<string, List<string>>> DependencyEdgesAsync(DbScope db, string ownerId, CancellationToken cancellationToken)
    {
        var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var command = db.Command("SELECT d.task_id, d.depends_on FROM task_dependencies d JOIN tasks t ON t.id = d.task_id WHERE t.owner_id = @o")
            .Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var from = reader.GetString(0);
            if (!edges.TryGetValue(from, out var list))
            {
                edges[from] = list = [];
            }

            list.Add(reader.GetString(1));
        }

        return edges;
    }

    /// <summary>The tasks that depend on <paramref name="taskId"/>.</summary>
    public static async Task<List<string>> DependentsAsync(DbScope db, string taskId, CancellationToken cancellationToken)
    {
        var list = new List<string>();
        await using var command = db.Command("SELECT task_id FROM task_dependencies WHERE depends_on = @id").Add("@id", taskId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    /// <summary>The tasks assigned to an agent.</summary>
    public static async Task<List<string>> AssignedToAsync(DbScope db, string agentId, CancellationToken cancellationToken)
    {
        var assigned = new List<string>();
        await using var command = db.Command("SELECT id FROM tasks WHERE assigned_to = @a").Add("@a", agentId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            assigned.Add(reader.GetString(0));
        }

        return assigned;
    }

    /// <summary>The agent's tasks become unassigned, and fenced: sessions of the agent lose them with a new epoch.</summary>
    public static Task<int> UnassignAllAsync(WriteTransaction tx, string agentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE tasks SET assigned_to = NULL, lease_machine_id = NULL, lease_expires_at = NULL, epoch = epoch + 1, " +
                          "updated_at = @t WHERE assigned_to = @a").Add("@t", now).Add("@a", agentId).ExecAsync(cancellationToken);
    }

    /// <summary>How many todo, in-progress or in-review tasks work in the repository.</summary>
    public static async Task<long> CountOpenInRepositoryAsync(DbScope db, string repositoryId, CancellationToken cancellationToken) =>
        Convert.ToInt64(await db.Command("SELECT COUNT(*) FROM tasks WHERE repository_id = @r AND status IN (@a, @b, @c)")
            .Add("@r", repositoryId).Add("@a", TaskStatusNames.Todo).Add("@b", TaskStatusNames.InProgress).Add("@c", TaskStatusNames.InReview)
            .ScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
}
