using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>
/// <c>POST /api/tasks/{id}/{claim|review|reject|complete|cancel|release}</c>. The role is checked first (403), then the
/// change is one compare-and-set UPDATE (<see cref="TaskRows.TransitionAsync"/>); only when it changed nothing is the row
/// read, to say why (404, 409 stale epoch, 409 naming the current and allowed states).
/// </summary>
public static class TaskTransitionsApi
{
    public static IEndpointRouteBuilder MapTaskTransitionsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var action in TaskActionNames.All)
        {
            app.MapPost("/api/tasks/{id}/" + action.ToVerb(), (string id, HttpContext http, Mutations m) => TransitionAsync(action, id, http, m));
        }

        return app;
    }

    public static async Task<ApiResult> TransitionAsync(TaskAction action, string id, HttpContext http, Mutations mutations)
    {
        var self = http.GetCaller();
        if (!TaskTransitions.RoleMay(self.Role, action))
        {
            return ApiResult.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, TaskTransitions.DescribeForbidden(action, self.Role));
        }

        TaskGuards.RequireOwnTask(self, id);
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.TransitionRequest, optional: true, http.RequestAborted)
                   ?? new TransitionRequest();
        var prUrl = action == TaskAction.Review ? Validate.OptionalName("pr_url", body.PrUrl, 2000) : null;
        var reason = Validate.Text("reason", body.Reason, 10_000);
        return await mutations.RunAsync(http, (tx, caller, ct) => ApplyAsync(tx, caller, action, id, prUrl, reason, body.Epoch, mutations.Clock.Now(), ct));
    }

    private static async Task<ApiResult> ApplyAsync(
        WriteTransaction tx, Caller caller, TaskAction action, string id, string? prUrl, string? reason, long? requestedEpoch,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var fence = caller.IsWorker ? caller.Epoch : requestedEpoch;
        if (await TaskRows.TransitionAsync(tx, caller.OwnerId, id, action, fence, caller.SessionId, caller.AgentId, prUrl, now, cancellationToken) == 0)
        {
            if (action == TaskAction.Claim && await AlreadyClaimedByAsync(tx, caller, id, now, cancellationToken) is { } claimed)
            {
                return ApiResult.Ok(claimed, ContractsJsonContext.Default.TaskDto);
            }

            throw await ExplainAsync(tx, caller, action, id, fence, cancellationToken);
        }

        var detail = action switch
        {
            TaskAction.Review => prUrl is { Length: > 0 } ? prUrl : null,
            _ => reason,
        };
        var activity = await ActivityRows.AddAsync(tx, id, caller.Role.ToName(), caller.ActorId, action.ToActivity(), detail,
            caller.SessionId, now, cancellationToken);
        var task = await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, cancellationToken)
                   ?? throw DomainException.NotFound("task", id);
        tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
        tx.AddEvent(ServerEvents.Activity(caller.OwnerId, task, activity));
        return ApiResult.Ok(task, ContractsJsonContext.Default.TaskDto);
    }

    /// <summary>
    /// Claiming is idempotent for the session that holds the claim: the daemon restores a claim for a session it moved to
    /// a new lease, and the agent, carrying on, may claim again — both must succeed without a second activity entry.
    /// </summary>
    private static async Task<TaskDto?> AlreadyClaimedByAsync(WriteTransaction tx, Caller caller, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (caller.SessionId is null)
        {
            return null;
        }

        return await TaskRows.IsClaimedByAsync(tx.Scope, caller.OwnerId, id, caller.SessionId, caller.Epoch, cancellationToken)
            ? await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, cancellationToken)
            : null;
    }

    /// <summary>The compare-and-set changed nothing: read the row once to tell the caller why.</summary>
    private static async Task<DomainException> ExplainAsync(
        WriteTransaction tx, Caller caller, TaskAction action, string id, long? fence, CancellationToken cancellationToken)
    {
        if (await TaskRows.TransitionStateAsync(tx.Scope, caller.OwnerId, id, cancellationToken) is not { } state)
        {
            return DomainException.NotFound("task", Validate.Truncate(id));
        }

        var (statusName, epoch, assignedTo) = state;
        if (fence is { } expected && expected != epoch)
        {
            return DomainException.StaleEpoch(expected, epoch);
        }

        if (!TaskStatusNames.TryParse(statusName, out var status))
        {
            return DomainException.Conflict($"task is in an unknown state '{statusName}'");
        }

        if (!TaskTransitions.AllowedFrom(action).Contains(status))
        {
            return DomainException.Conflict(TaskTransitions.DescribeIllegal(action, status), ErrorCodes.IllegalTransition);
        }

        if (action == TaskAction.Claim && assignedTo != caller.AgentId)
        {
            return DomainException.Conflict(assignedTo is null
                ? "the task is not assigned to any agent; only its assignee can claim it"
                : "the task is assigned to another agent; only its assignee can claim it");
        }

        return DomainException.Conflict("the task changed concurrently; read it again and retry");
    }
}
