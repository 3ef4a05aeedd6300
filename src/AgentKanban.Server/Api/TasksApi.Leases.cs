using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>
/// The dispatch lease (<c>POST/DELETE /api/tasks/{id}/lease</c>) and the daemon's "why not running" note
/// (<c>PUT /api/tasks/{id}/why</c>), all machine-only.
/// </summary>
public static partial class TasksApi
{
    private static void MapLeases(RouteGroupBuilder tasks)
    {
        tasks.MapPost("/{id}/lease", LeaseAsync);
        tasks.MapDelete("/{id}/lease", ReturnLeaseAsync);
        tasks.MapPut("/{id}/why", WhyAsync);
    }

    public static Task<ApiResult> LeaseAsync(string id, HttpContext http, Mutations mutations, ServerOptions options)
    {
        http.GetCaller().RequireMachine("lease tasks");
        return mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var expires = now + options.LeaseTtl;
            var epoch = await TaskRows.TryLeaseAsync(tx, caller.OwnerId, id, caller.MachineId!, now, expires, ct);
            if (epoch is null)
            {
                throw await ExplainLeaseRefusalAsync(tx.Scope, caller, id, now, ct);
            }

            var task = (await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, ct))!;
            tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
            return ApiResult.Ok(new LeaseDto(id, caller.MachineId!, epoch.Value, expires,
                    (long)options.LeaseTtl.TotalMilliseconds),
                ContractsJsonContext.Default.LeaseDto);
        });
    }

    /// <summary>
    /// <c>DELETE /api/tasks/{id}/lease[?epoch=N]</c>: the holder gives a todo task's lease back. With <c>epoch</c> the
    /// return is fenced: a late return for an earlier lease (say, delivered from an outbox after the same machine leased
    /// the task again) is refused with <c>stale_epoch</c> instead of ending the newer lease.
    /// </summary>
    public static Task<ApiResult> ReturnLeaseAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireMachine("return leases");
        long? expected = null;
        if (http.Request.Query["epoch"].ToString() is { Length: > 0 } text)
        {
            expected = long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw DomainException.Validation("epoch", "epoch must be a non-negative integer");
        }

        return mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var changed = await TaskRows.ReturnLeaseAsync(tx, caller.OwnerId, id, caller.MachineId, expected, now, ct);
            var task = await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, ct) ?? throw DomainException.NotFound("task", Validate.Truncate(id));
            if (changed == 0 && expected is { } stale && task.Epoch != stale && task.Lease?.MachineId == caller.MachineId)
            {
                throw DomainException.StaleEpoch(stale, task.Epoch);
            }

            if (changed == 0)
            {
                throw task.Status != TaskStatusNames.Todo
                    ? DomainException.Conflict($"task is {task.Status}: only a todo task's lease can be given back (release an in-progress task instead)")
                    : DomainException.Conflict("this machine holds no lease on the task");
            }

            tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
            return ApiResult.Ok(task, ContractsJsonContext.Default.TaskDto);
        });
    }

    public static async Task<ApiResult> WhyAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireMachine("report why a task is waiting");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.WhyRequest, optional: false, http.RequestAborted);
        var reason = Validate.Text("reason", body!.Reason, 2000);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var changed = await TaskRows.SetWhyAsync(tx, caller.OwnerId, id, string.IsNullOrWhiteSpace(reason) ? null : reason, now, ct);
            if (changed == 0)
            {
                throw DomainException.NotFound("task", Validate.Truncate(id));
            }

            var task = (await TaskRows.GetAsync(tx.Scope, caller.OwnerId, id, now, ct))!;
            tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
            return ApiResult.Ok(task, ContractsJsonContext.Default.TaskDto);
        });
    }

    private static async Task<DomainException> ExplainLeaseRefusalAsync(DbScope db, Caller caller, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var task = await TaskRows.GetAsync(db, caller.OwnerId, id, now, cancellationToken);
        if (task is null)
        {
            return DomainException.NotFound("task", Validate.Truncate(id));
        }

        if (task.Status != TaskStatusNames.Todo)
        {
            return DomainException.Conflict($"task is {task.Status}: only todo tasks can be leased", ErrorCodes.IllegalTransition);
        }

        if (task.AssignedTo is null)
        {
            return DomainException.Conflict("task is not assigned to an agent");
        }

        if (task.Blocked)
        {
            return DomainException.Conflict("task is blocked by unfinished dependencies");
        }

        if (task.ScheduledAt > now)
        {
            return DomainException.Conflict($"task is scheduled for {task.ScheduledAt:O}");
        }

        if (task.Lease is { } lease && lease.MachineId != caller.MachineId)
        {
            return DomainException.Conflict($"task is leased by machine '{lease.MachineId}' until {lease.ExpiresAt:O}", ErrorCodes.LeaseHeld);
        }

        return DomainException.Conflict("the task changed concurrently; read it again and retry");
    }
}
