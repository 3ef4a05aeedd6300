using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Api;

/// <summary><c>PATCH /api/tasks/{id}</c> and the reference checks shared with create.</summary>
public static partial class TasksApi
{
    /// <summary>Serialises dependency edits across PostgreSQL instances so two concurrent edits cannot close a cycle.</summary>
    private const long DependencyLockKey = 0x616b5f6465707321; // "ak_deps!"

    public static async Task<ApiResult> UpdateAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("update tasks");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.UpdateTaskRequest, optional: false, http.RequestAborted);
        var title = body!.Title is null ? null : Validate.Name("title", body.Title, 500);
        var description = Validate.Text("description", body.Description);
        var repoRef = Validate.OptionalName("repository_id", body.RepositoryId);
        var assigneeRef = Validate.OptionalName("assigned_to", body.AssignedTo);
        var prUrl = Validate.OptionalName("pr_url", body.PrUrl, 2000);
        var labels = body.Labels is null ? null : Distinct("labels", body.Labels, 50);
        var dependsOn = body.DependsOn is null ? null : Distinct("depends_on", body.DependsOn, MaxListItems);
        (bool Set, DateTimeOffset? Value) schedule = body.ScheduledAt is null ? (false, null) : (true, ParseSchedule(body.ScheduledAt.Trim()));
        if (dependsOn?.Contains(id) == true)
        {
            throw DomainException.Validation("depends_on", "a task cannot depend on itself");
        }

        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var db = tx.Scope;
            // Lock the row (PostgreSQL) so concurrent edits of one task apply one after the other.
            if (await tx.Command("SELECT 1 FROM tasks WHERE id = @id AND owner_id = @o" + tx.Dialect.ForUpdate)
                    .Add("@id", id).Add("@o", caller.OwnerId).ScalarAsync(ct) is null)
            {
                throw DomainException.NotFound("task", Validate.Truncate(id));
            }

            var current = (await TaskRows.GetAsync(db, caller.OwnerId, id, now, ct))!;
            var board = await Resolve.BoardAsync(db, caller.OwnerId, current.BoardId, ct);
            var sql = new StringBuilder("UPDATE tasks SET updated_at = @now");
            await using var command = tx.Command("");
            command.Add("@now", now).Add("@id", id).Add("@o", caller.OwnerId);
            var changed = false;
            if (title is not null)
            {
                sql.Append(", title = @title");
                command.Add("@title", title);
                changed = true;
            }

            if (description is not null)
            {
                sql.Append(", description = @d");
                command.Add("@d", description.Length == 0 ? null : description);
                changed = true;
            }

            if (repoRef is not null)
            {
                sql.Append(", repository_id = @r");
                command.Add("@r", await RepositoryForBoardAsync(db, caller.OwnerId, board, repoRef.Length == 0 ? null : repoRef, ct));
                changed = true;
            }

            if (prUrl is not null)
            {
                sql.Append(", pr_url = @pr");
                command.Add("@pr", prUrl.Length == 0 ? null : prUrl);
                changed = true;
            }

            if (schedule.Set)
            {
                sql.Append(", scheduled_at = @sched");
                command.Add("@sched", schedule.Value);
                changed = true;
            }

            if (body.Position is { } position)
            {
                sql.Append(", position = @pos");
                command.Add("@pos", position);
                changed = true;
            }

            string? reassignedTo = null;
            var reassigned = false;
            if (assigneeRef is not null)
            {
                reassignedTo = assigneeRef.Length == 0 ? null : await AssigneeAsync(db, caller.OwnerId, assigneeRef, ct);
                if (reassignedTo != current.AssignedTo)
                {
                    // A new assignee invalidates any lease taken for the old one.
                    sql.Append(", assigned_to = @a, lease_machine_id = NULL, lease_expires_at = NULL, epoch = epoch + 1");
                    command.Add("@a", reassignedTo);
                    reassigned = true;
                    changed = true;
                }
            }

            if (labels is not null)
            {
                await CheckLabelsAsync(db, board, labels, ct);
                changed = true;
            }

            if (dependsOn is not null)
            {
                await CheckDependenciesAsync(db, caller.OwnerId, dependsOn, ct);
                if (tx.Kind == StorageKind.Postgres)
                {
                    await tx.Command("SELECT pg_advisory_xact_lock(@k)").Add("@k", DependencyLockKey).ExecAsync(ct);
                }

                var edges = await EdgesAsync(db, caller.OwnerId, ct);
                if (DependencyGraph.WouldCreateCycle(id, dependsOn, t => edges.TryGetValue(t, out var deps) ? deps : []))
                {
                    throw DomainException.Validation("depends_on", "these dependencies would create a cycle (circular dependency)");
                }

                changed = true;
            }

            if (!changed)
            {
                return ApiResult.Ok(current, ContractsJsonContext.Default.TaskDto);
            }

            sql.Append(" WHERE id = @id AND owner_id = @o");
            if (reassigned)
            {
                sql.Append(" AND status = @todo");
                command.Add("@todo", TaskStatusNames.Todo);
            }

            command.CommandText = sql.ToString();
            if (await command.ExecuteNonQueryAsync(ct) == 0)
            {
                throw DomainException.Conflict($"only a todo task can be reassigned (this task is {current.Status})", field: "assigned_to");
            }

            if (labels is not null)
            {
                await tx.Command("DELETE FROM task_labels WHERE task_id = @id").Add("@id", id).ExecAsync(ct);
                await ReplaceLabelsAsync(tx, id, labels, ct);
            }

            if (dependsOn is not null)
            {
                await tx.Command("DELETE FROM task_dependencies WHERE task_id = @id").Add("@id", id).ExecAsync(ct);
                await ReplaceDependenciesAsync(tx, id, dependsOn, ct);
            }

            var task = (await TaskRows.GetAsync(db, caller.OwnerId, id, now, ct))!;
            tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
            if (reassigned)
            {
                var activity = await TaskRows.AddActivityAsync(tx, id, caller.Role.ToName(), caller.ActorId,
                    reassignedTo is null ? "unassigned" : "assigned", reassignedTo, caller.SessionId, now, ct);
                tx.AddEvent(ServerEvents.Activity(caller.OwnerId, task, activity));
            }

            return ApiResult.Ok(task, ContractsJsonContext.Default.TaskDto);
        });
    }

    /// <summary>Dev boards need a repository on every task; ops boards refuse one.</summary>
    private static async Task<string?> RepositoryForBoardAsync(DbScope db, string ownerId, Resolve.BoardRef board, string? reference, CancellationToken cancellationToken)
    {
        if (board.Type == "ops")
        {
            return reference is null ? null : throw DomainException.Validation("repository_id", $"board '{board.Name}' is an ops board: its tasks take no repository");
        }

        if (reference is null)
        {
            throw DomainException.Validation("repository_id", $"board '{board.Name}' is a dev board: its tasks need a repository");
        }

        return await Resolve.FindRepositoryAsync(db, ownerId, reference, cancellationToken)
               ?? throw DomainException.Validation("repository_id", $"repository '{Validate.Truncate(reference)}' not found");
    }

    /// <summary>Tasks are assigned to worker agents (no machine needs to be online).</summary>
    private static async Task<string?> AssigneeAsync(DbScope db, string ownerId, string? reference, CancellationToken cancellationToken)
    {
        if (reference is null)
        {
            return null;
        }

        var agent = await Resolve.FindAgentAsync(db, ownerId, reference, cancellationToken)
                    ?? throw DomainException.Validation("assigned_to", $"agent '{Validate.Truncate(reference)}' not found");
        return agent.Kind == "worker"
            ? agent.Id
            : throw DomainException.Validation("assigned_to", $"agent '{agent.Username}' is a {agent.Kind}; tasks are assigned to workers");
    }

    private static async Task CheckLabelsAsync(DbScope db, Resolve.BoardRef board, List<string> labels, CancellationToken cancellationToken)
    {
        if (labels.Count == 0)
        {
            return;
        }

        var known = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = db.Command("SELECT name FROM labels WHERE board_id = @b").Add("@b", board.Id))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                known.Add(reader.GetString(0));
            }
        }

        foreach (var label in labels)
        {
            if (!known.Contains(label))
            {
                throw DomainException.Validation("labels", $"label '{Validate.Truncate(label)}' does not exist on board '{board.Name}'");
            }
        }
    }

    private static async Task CheckDependenciesAsync(DbScope db, string ownerId, List<string> dependsOn, CancellationToken cancellationToken)
    {
        foreach (var dependency in dependsOn)
        {
            if (!await Resolve.TaskExistsAsync(db, ownerId, dependency, cancellationToken))
            {
                throw DomainException.Validation("depends_on", $"task '{Validate.Truncate(dependency)}' not found");
            }
        }
    }

    private static async Task ReplaceLabelsAsync(WriteTransaction tx, string taskId, List<string> labels, CancellationToken cancellationToken)
    {
        foreach (var label in labels)
        {
            await tx.Command("INSERT INTO task_labels (task_id, name) VALUES (@t, @n)").Add("@t", taskId).Add("@n", label).ExecAsync(cancellationToken);
        }
    }

    private static async Task ReplaceDependenciesAsync(WriteTransaction tx, string taskId, List<string> dependsOn, CancellationToken cancellationToken)
    {
        foreach (var dependency in dependsOn)
        {
            await tx.Command("INSERT INTO task_dependencies (task_id, depends_on) VALUES (@t, @d)").Add("@t", taskId).Add("@d", dependency)
                .ExecAsync(cancellationToken);
        }
    }

    private static async Task<Dictionary<string, List<string>>> EdgesAsync(DbScope db, string ownerId, CancellationToken cancellationToken)
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

    private static async Task<List<string>> DependentsAsync(DbScope db, string taskId, CancellationToken cancellationToken)
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
}
