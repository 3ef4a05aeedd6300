using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Api;

/// <summary>
/// <c>PATCH /api/tasks/{id}</c> (validated and resolved into a <see cref="TaskPatch"/>) and the reference checks shared
/// with create.
/// </summary>
public static partial class TasksApi
{
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
        var schedule = body.ScheduledAt is null ? (Change<DateTimeOffset?>?)null : new(ParseSchedule(body.ScheduledAt.Trim()));
        if (dependsOn?.Contains(id) == true)
        {
            throw DomainException.Validation("depends_on", "a task cannot depend on itself");
        }

        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var db = tx.Scope;
            if (!await TaskRows.LockForUpdateAsync(tx, caller.OwnerId, id, ct))
            {
                throw DomainException.NotFound("task", Validate.Truncate(id));
            }

            var current = (await TaskRows.GetAsync(db, caller.OwnerId, id, now, ct))!;
            var board = await Resolve.BoardAsync(db, caller.OwnerId, current.BoardId, ct);
            // An empty string clears an optional field. References are resolved (and refused) in the order of the fields.
            var patch = new TaskPatch
            {
                Title = title,
                Description = description is null ? null : new(description.Length == 0 ? null : description),
                RepositoryId = repoRef is null ? null : new(await RepositoryForBoardAsync(db, caller.OwnerId, board, repoRef.Length == 0 ? null : repoRef, ct)),
                PrUrl = prUrl is null ? null : new(prUrl.Length == 0 ? null : prUrl),
                ScheduledAt = schedule,
                Position = body.Position,
            };
            if (assigneeRef is not null)
            {
                var assignee = assigneeRef.Length == 0 ? null : await AssigneeAsync(db, caller.OwnerId, assigneeRef, ct);
                if (assignee != current.AssignedTo)
                {
                    patch = patch with { AssignedTo = new(assignee) };
                }
            }

            if (labels is not null)
            {
                await CheckLabelsAsync(db, board, labels, ct);
            }

            if (dependsOn is not null)
            {
                await CheckDependenciesAsync(db, caller.OwnerId, dependsOn, ct);
                await TaskRows.LockDependencyEditsAsync(tx, ct);
                var edges = await TaskRows.DependencyEdgesAsync(db, caller.OwnerId, ct);
                if (DependencyGraph.WouldCreateCycle(id, dependsOn, t => edges.TryGetValue(t, out var deps) ? deps : []))
                {
                    throw DomainException.Validation("depends_on", "these dependencies would create a cycle (circular dependency)");
                }
            }

            if (patch.IsEmpty && labels is null && dependsOn is null)
            {
                return ApiResult.Ok(current, ContractsJsonContext.Default.TaskDto);
            }

            if (await TaskRows.UpdateAsync(tx, caller.OwnerId, id, patch, now, ct) == 0)
            {
                throw DomainException.Conflict($"only a todo task can be reassigned (this task is {current.Status})", field: "assigned_to");
            }

            if (labels is not null)
            {
                await TaskRows.ReplaceLabelsAsync(tx, id, labels, ct);
            }

            if (dependsOn is not null)
            {
                await TaskRows.ReplaceDependenciesAsync(tx, id, dependsOn, ct);
            }

            var task = (await TaskRows.GetAsync(db, caller.OwnerId, id, now, ct))!;
            tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
            if (patch.AssignedTo is { Value: var reassignedTo })
            {
                var activity = await ActivityRows.AddAsync(tx, id, caller.Role.ToName(), caller.ActorId,
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

        var known = await BoardRows.LabelNamesAsync(db, board.Id, cancellationToken);
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
}
