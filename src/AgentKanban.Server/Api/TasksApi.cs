using AgentKanban.Contracts;
using AgentKanban.Contracts.Json;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>
/// Tasks: create (users, leaders; a worker session only subtasks of its own task, on that task's board, while its
/// epoch is current), list with filters, get with activity and messages, update and delete (users, leaders). Board,
/// repository and assignee references accept an id or a name. Creating or assigning never needs a machine online: the
/// task simply waits.
/// </summary>
public static partial class TasksApi
{
    private const int MaxListItems = 100;
    private const int DetailEntries = 500;

    public static IEndpointRouteBuilder MapTasksApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var tasks = app.MapGroup("/api/tasks");
        tasks.MapPost("", CreateAsync);
        tasks.MapGet("", ListAsync);
        tasks.MapGet("/{id}", GetAsync);
        tasks.MapPatch("/{id}", UpdateAsync);
        tasks.MapDelete("/{id}", DeleteAsync);
        MapNotes(tasks);
        MapLeases(tasks);
        return app;
    }

    public static async Task<ApiResult> CreateAsync(HttpContext http, Mutations mutations)
    {
        var self = http.GetCaller();
        self.Require("create tasks", ActorRole.User, ActorRole.Leader, ActorRole.Worker);
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.CreateTaskRequest, optional: false, http.RequestAborted);
        var title = Validate.Name("title", body!.Title, 500);
        var description = Validate.Text("description", body.Description);
        var labels = Distinct("labels", body.Labels, 50);
        var dependsOn = Distinct("depends_on", body.DependsOn, MaxListItems);
        var boardRef = Validate.OptionalName("board_id", body.BoardId);
        var repoRef = Validate.OptionalName("repository_id", body.RepositoryId);
        var assigneeRef = Validate.OptionalName("assigned_to", body.AssignedTo);
        var parentRef = Validate.OptionalName("parent_id", body.ParentId);
        TaskGuards.RequireOwnSubtask(self, parentRef);

        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var db = tx.Scope;
            string? parentId;
            string? parentBoard = null;
            if (caller.IsWorker)
            {
                // A worker's tasks are subtasks of the task its session holds, written only while that session's epoch is
                // the task's: once the task was re-leased, the old run must not add work to the board.
                var own = await TaskGuards.LockTaskAsync(tx, caller, caller.TaskId!, now, ct);
                parentId = own.Id;
                parentBoard = own.BoardId;
            }
            else
            {
                parentId = parentRef is { Length: > 0 } ? parentRef : null;
                if (parentId is not null)
                {
                    parentBoard = await TaskRows.BoardOfAsync(db, caller.OwnerId, parentId, ct)
                                  ?? throw DomainException.Validation("parent_id", $"parent task '{Validate.Truncate(parentId)}' not found");
                }
            }

            var board = boardRef is { Length: > 0 }
                ? await Resolve.FindBoardAsync(db, caller.OwnerId, boardRef, ct) ?? throw DomainException.Validation("board_id", $"board '{Validate.Truncate(boardRef)}' not found")
                : parentBoard is not null
                    ? await Resolve.BoardAsync(db, caller.OwnerId, parentBoard, ct)
                    : throw DomainException.Validation("board_id", "'board_id' is required (a board id or name)");
            if (caller.IsWorker && board.Id != parentBoard)
            {
                throw DomainException.Forbidden($"a worker session creates tasks only on its own task's board (board '{Validate.Truncate(boardRef!)}' is another board)");
            }

            var repositoryId = await RepositoryForBoardAsync(db, caller.OwnerId, board, repoRef, ct);
            var assignee = await AssigneeAsync(db, caller.OwnerId, assigneeRef, ct);
            await CheckLabelsAsync(db, board, labels, ct);
            await CheckDependenciesAsync(db, caller.OwnerId, dependsOn, ct);

            var seq = await BoardRows.NextTaskSeqAsync(tx, board.Id, ct);
            var id = Ids.New();
            await TaskRows.InsertAsync(tx, new TaskRows.NewTask(id, caller.OwnerId, board.Id, seq, title, description, repositoryId, assignee,
                Truncate(body.ScheduledAt), parentId, caller.ActorId), now, ct);
            await TaskRows.AddLabelsAsync(tx, id, labels, ct);
            await TaskRows.AddDependenciesAsync(tx, id, dependsOn, ct);

            var created = await ActivityRows.AddAsync(tx, id, caller.Role.ToName(), caller.ActorId, "created", null, caller.SessionId, now, ct);
            var task = (await TaskRows.GetAsync(db, caller.OwnerId, id, now, ct))!;
            tx.AddEvent(ServerEvents.Task(ServerEvents.TaskCreated, caller.OwnerId, task, now));
            tx.AddEvent(ServerEvents.Activity(caller.OwnerId, task, created));
            if (assignee is not null)
            {
                var assigned = await ActivityRows.AddAsync(tx, id, caller.Role.ToName(), caller.ActorId, "assigned", assignee, caller.SessionId, now, ct);
                tx.AddEvent(ServerEvents.Activity(caller.OwnerId, task, assigned));
            }

            return ApiResult.Created(task, ContractsJsonContext.Default.TaskDto);
        });
    }

    public static async Task<ApiResult> ListAsync(
        HttpContext http, IStorageEngine store, ServerClock clock,
        [FromQuery(Name = "board_id")] string? boardId = null,
        [FromQuery(Name = "status")] string? status = null,
        [FromQuery(Name = "label")] string? label = null,
        [FromQuery(Name = "assigned_to")] string? assignedTo = null,
        [FromQuery(Name = "repository_id")] string? repositoryId = null,
        [FromQuery(Name = "parent_id")] string? parentId = null)
    {
        var caller = http.GetCaller();
        if (status is not null && !TaskStatusNames.TryParse(status, out _))
        {
            throw DomainException.Validation("status", $"'status' must be one of: {string.Join(", ", TaskStatusNames.All.Select(s => s.ToName()))}");
        }

        var tasks = await store.ReadAsync(async (db, ct) =>
        {
            // An unknown reference filters everything out rather than failing: "no tasks match".
            var board = boardId is null ? null : (await Resolve.FindBoardAsync(db, caller.OwnerId, boardId, ct))?.Id;
            var agent = assignedTo is null ? null : (await Resolve.FindAgentAsync(db, caller.OwnerId, assignedTo, ct))?.Id;
            var repo = repositoryId is null ? null : await Resolve.FindRepositoryAsync(db, caller.OwnerId, repositoryId, ct);
            if ((boardId is not null && board is null) || (assignedTo is not null && agent is null) || (repositoryId is not null && repo is null))
            {
                return [];
            }

            return await TaskRows.ListAsync(db, caller.OwnerId,
                new TaskRows.Filter(board, status, label, agent, repo, parentId), clock.Now(), ct);
        }, http.RequestAborted);
        return ApiResult.Ok(tasks, ContractsJsonContext.Default.ListTaskDto);
    }

    public static async Task<ApiResult> GetAsync(string id, HttpContext http, IStorageEngine store, ServerClock clock)
    {
        var caller = http.GetCaller();
        var task = await store.ReadAsync(async (db, ct) =>
        {
            var found = await TaskRows.GetAsync(db, caller.OwnerId, id, clock.Now(), ct) ?? throw DomainException.NotFound("task", Validate.Truncate(id));
            return found with
            {
                Activity = await ActivityRows.ListAsync(db, id, DetailEntries, ct),
                Messages = await MessageRows.ListAsync(db, id, DetailEntries, ct),
            };
        }, http.RequestAborted);
        return ApiResult.Ok(task, ContractsJsonContext.Default.TaskDto);
    }

    public static async Task<ApiResult> DeleteAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("delete tasks");
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var task = await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, ct) ?? throw DomainException.NotFound("task", Validate.Truncate(id));
            var dependents = await TaskRows.DependentsAsync(tx.Scope, id, ct);
            if (await TaskRows.DeleteSettledAsync(tx, caller.OwnerId, id, ct) == 0)
            {
                throw DomainException.Conflict($"task is {task.Status}: cancel it before deleting it (only todo, done or cancelled tasks can be deleted)");
            }

            tx.AddEvent(ServerEvents.Task(ServerEvents.TaskDeleted, caller.OwnerId, task, now));
            foreach (var dependent in dependents)
            {
                // A deleted prerequisite no longer blocks anything.
                if (await TaskRows.GetAsync(tx.Scope, caller.OwnerId, dependent, now, ct) is { } changed)
                {
                    tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, changed, now));
                }
            }

            return ApiResult.NoContent();
        });
    }

    private static DateTimeOffset? Truncate(DateTimeOffset? value) =>
        value is { } v ? new DateTimeOffset(v.UtcTicks - (v.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero) : null;

    /// <summary>Strict ISO-8601 with a zone; the empty string clears.</summary>
    private static DateTimeOffset? ParseSchedule(string value) =>
        value.Length == 0 ? null
        : ZonedDateTimeOffsetConverter.TryParse(value, out var parsed) ? Truncate(parsed)
        : throw DomainException.Validation("scheduled_at", "'scheduled_at' " + ZonedDateTimeOffsetConverter.Expectation);

    private static List<string> Distinct(string field, IReadOnlyList<string>? values, int max)
    {
        if (values is null)
        {
            return [];
        }

        if (values.Count > max)
        {
            throw DomainException.Validation(field, $"'{field}' may list at most {max} entries");
        }

        var list = new List<string>(values.Count);
        foreach (var value in values)
        {
            var item = Validate.Name(field, value, 100);
            if (!list.Contains(item))
            {
                list.Add(item);
            }
        }

        return list;
    }
}
