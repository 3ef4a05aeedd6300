using System.Text;
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
/// change is one compare-and-set UPDATE (<c>WHERE status IN (allowed) [AND epoch = …]</c>); only when it changed nothing
/// is the row read, to say why (404, 409 stale epoch, 409 naming the current and allowed states).
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
        var command = tx.Command(UpdateSql(action, prUrl is { Length: > 0 }, fence is not null));
        await using (command)
        {
            command.Add("@to", TaskTransitions.Target(action).ToName()).Add("@now", now).Add("@id", id).Add("@o", caller.OwnerId);
            var allowed = TaskTransitions.AllowedFrom(action);
            for (var i = 0; i < allowed.Count; i++)
            {
                command.Add(StatusParameters[i], allowed[i].ToName());
            }

            switch (action)
            {
                case TaskAction.Claim:
                    command.Add("@session", caller.SessionId).Add("@agent", caller.AgentId);
                    break;
                case TaskAction.Review when prUrl is { Length: > 0 }:
                    command.Add("@pr", prUrl);
                    break;
            }

            if (fence is not null)
            {
                command.Add("@epoch", fence.Value);
            }

            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                if (action == TaskAction.Claim && await AlreadyClaimedByAsync(tx, caller, id, now, cancellationToken) is { } claimed)
                {
                    return ApiResult.Ok(claimed, ContractsJsonContext.Default.TaskDto);
                }

                throw await ExplainAsync(tx, caller, action, id, fence, cancellationToken);
            }
        }

        var detail = action switch
        {
            TaskAction.Review => prUrl is { Length: > 0 } ? prUrl : null,
            _ => reason,
        };
        var activity = await TaskRows.AddActivityAsync(tx, id, caller.Role.ToName(), caller.ActorId, action.ToActivity(), detail,
            caller.SessionId, now, cancellationToken);
        var task = await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, cancellationToken)
                   ?? throw DomainException.NotFound("task", id);
        tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
        tx.AddEvent(ServerEvents.Activity(caller.OwnerId, task, activity));
        return ApiResult.Ok(task, ContractsJsonContext.Default.TaskDto);
    }

    private static readonly string[] StatusParameters = ["@s0", "@s1", "@s2", "@s3", "@s4"];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(TaskAction, bool, bool), string> Statements = new();

    /// <summary>
    /// The compare-and-set for one action: <c>UPDATE tasks SET status = @to … WHERE id = @id AND owner_id = @o AND status IN
    /// (allowed) [AND epoch = @epoch] [AND assigned_to = @agent]</c>. The text depends only on its inputs, so it is built once
    /// and reused as a prepared statement.
    /// </summary>
    private static string UpdateSql(TaskAction action, bool withPrUrl, bool fenced) => Statements.GetOrAdd((action, withPrUrl, fenced), static key =>
    {
        var (action, withPrUrl, fenced) = key;
        var sql = new StringBuilder("UPDATE tasks SET status = @to, updated_at = @now");
        switch (action)
        {
            case TaskAction.Claim:
                sql.Append(", active_session_id = @session");
                break;
            case TaskAction.Review when withPrUrl:
                sql.Append(", pr_url = @pr");
                break;
            case TaskAction.Complete or TaskAction.Cancel:
                // A finished task needs no lease any more.
                sql.Append(", lease_machine_id = NULL, lease_expires_at = NULL");
                break;
            case TaskAction.Release:
                // Back to todo for another run: the old lease and its sessions are fenced off by the new epoch.
                sql.Append(", scheduled_at = NULL, lease_machine_id = NULL, lease_expires_at = NULL, active_session_id = NULL, epoch = epoch + 1");
                break;
        }

        sql.Append(" WHERE id = @id AND owner_id = @o AND status IN (");
        var allowed = TaskTransitions.AllowedFrom(action);
        for (var i = 0; i < allowed.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(StatusParameters[i]);
        }

        sql.Append(')');
        if (fenced)
        {
            sql.Append(" AND epoch = @epoch");
        }

        if (action == TaskAction.Claim)
        {
            sql.Append(" AND assigned_to = @agent");
        }

        return sql.ToString();
    });

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

        var held = await tx.Command("SELECT 1 FROM tasks WHERE id = @id AND owner_id = @o AND status = @s AND active_session_id = @session AND epoch = @epoch")
            .Add("@id", id).Add("@o", caller.OwnerId).Add("@s", TaskStatusNames.InProgress).Add("@session", caller.SessionId).Add("@epoch", caller.Epoch)
            .ScalarAsync(cancellationToken);
        return held is null ? null : await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, cancellationToken);
    }

    /// <summary>The compare-and-set changed nothing: read the row once to tell the caller why.</summary>
    private static async Task<DomainException> ExplainAsync(
        WriteTransaction tx, Caller caller, TaskAction action, string id, long? fence, CancellationToken cancellationToken)
    {
        await using var command = tx.Command("SELECT status, epoch, assigned_to FROM tasks WHERE id = @id AND owner_id = @o")
            .Add("@id", id).Add("@o", caller.OwnerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return DomainException.NotFound("task", Validate.Truncate(id));
        }

        var statusName = reader.GetString(0);
        var epoch = reader.GetInt64(1);
        var assignedTo = reader.GetStringOrNull(2);
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
