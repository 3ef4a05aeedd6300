using System.Text.RegularExpressions;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>
/// Agent sessions. A machine opens one for a task it holds the lease of (with that lease's epoch), registering the
/// session's P-256 public key; the agent then signs ES256 JWTs with the private half. Closing a session revokes its
/// tokens; reopening restores them. Usage counters only ever add up.
/// </summary>
public static partial class SessionsApi
{
    private static readonly string[] Statuses = ["active", "closed"];

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var sessions = app.MapGroup("/api/sessions");
        sessions.MapPost("", OpenAsync);
        sessions.MapGet("", ListAsync);
        sessions.MapGet("/{id}", GetAsync);
        sessions.MapPost("/{id}/close", (string id, HttpContext http, Mutations m) => SetStatusAsync(id, "closed", http, m));
        sessions.MapPost("/{id}/reopen", (string id, HttpContext http, Mutations m) => SetStatusAsync(id, "active", http, m));
        sessions.MapPost("/{id}/usage", AddUsageAsync);
        return app;
    }

    public static async Task<ApiResult> OpenAsync(HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireMachine("open agent sessions");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.OpenSessionRequest, optional: false, http.RequestAborted);
        var sessionId = body!.SessionId is null ? Ids.New() : Validate.Name("session_id", body.SessionId, 64);
        if (!SessionIdPattern().IsMatch(sessionId))
        {
            throw DomainException.Validation("session_id", "'session_id' may contain only letters, digits, '-' and '_'");
        }

        var agentRef = Validate.Name("agent_id", body.AgentId);
        if (!SessionToken.IsValidPublicKey(body.PublicKey))
        {
            throw DomainException.Validation("public_key", "'public_key' must be a base64 SubjectPublicKeyInfo of an ECDSA P-256 key");
        }

        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var agent = await Resolve.FindAgentAsync(tx.Scope, caller.OwnerId, agentRef, ct)
                        ?? throw DomainException.Validation("agent_id", $"agent '{Validate.Truncate(agentRef)}' not found");
            string? taskId = null;
            long epoch = 0;
            if (agent.Kind == "worker" || body.TaskId is not null)
            {
                taskId = Validate.Name("task_id", body.TaskId);
                (taskId, epoch) = await CheckLeaseAsync(tx, caller, agent, taskId, body.Epoch, now, ct);
            }

            if (await SessionRows.ExistsAsync(tx.Scope, sessionId, ct))
            {
                throw DomainException.Conflict($"session '{sessionId}' already exists", field: "session_id");
            }

            await SessionRows.InsertAsync(tx, new SessionRows.NewSession(sessionId, caller.OwnerId, agent.Id, caller.MachineId, taskId, epoch, body.PublicKey!),
                now, ct);
            var session = await ReadAsync(tx.Scope, caller.OwnerId, sessionId, ct);
            tx.AddEvent(ServerEvents.Session(caller.OwnerId, session, now));
            return ApiResult.Created(session, ContractsJsonContext.Default.SessionDto);
        });
    }

    public static async Task<ApiResult> ListAsync(
        HttpContext http, IStorageEngine store,
        [FromQuery(Name = "task_id")] string? taskId = null,
        [FromQuery(Name = "agent_id")] string? agentId = null,
        [FromQuery(Name = "machine_id")] string? machineId = null,
        [FromQuery(Name = "status")] string? status = null)
    {
        var caller = http.GetCaller();
        if (status is not null)
        {
            Validate.OneOf("status", status, Statuses);
        }

        var sessions = await store.ReadAsync(async (db, ct) =>
        {
            // An agent is named by id or username; an unknown one matches no session.
            var agent = agentId is null ? null : (await Resolve.FindAgentAsync(db, caller.OwnerId, agentId, ct))?.Id ?? agentId;
            return await SessionRows.ListAsync(db, caller.OwnerId, new SessionRows.Filter(taskId, agent, machineId, status), ct);
        }, http.RequestAborted);
        return ApiResult.Ok(sessions, ContractsJsonContext.Default.ListSessionDto);
    }

    public static async Task<ApiResult> GetAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var session = await store.ReadAsync((db, ct) => ReadAsync(db, caller.OwnerId, id, ct), http.RequestAborted);
        return ApiResult.Ok(session, ContractsJsonContext.Default.SessionDto);
    }

    public static async Task<ApiResult> SetStatusAsync(string id, string status, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireMachine(status == "closed" ? "close sessions" : "reopen sessions");
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var current = await ReadAsync(tx.Scope, caller.OwnerId, id, ct);
            if (current.MachineId != caller.MachineId)
            {
                throw DomainException.Forbidden("only the machine that opened a session may close or reopen it");
            }

            var changed = await SessionRows.SetStatusAsync(tx, id, close: status == "closed", now, ct);
            var session = await ReadAsync(tx.Scope, caller.OwnerId, id, ct);
            if (changed > 0)
            {
                tx.AddEvent(ServerEvents.Session(caller.OwnerId, session, now));
            }

            return ApiResult.Ok(session, ContractsJsonContext.Default.SessionDto);
        });
    }

    /// <summary>
    /// Adds to a session's usage counters. Unlike task writes this has no epoch fence: the tokens were spent whether or
    /// not the task was re-leased since, and the counters belong to the session's own row, not to the task.
    /// </summary>
    public static async Task<ApiResult> AddUsageAsync(string id, HttpContext http, Mutations mutations)
    {
        var self = http.GetCaller();
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.SessionUsageRequest, optional: false, http.RequestAborted);
        NonNegative("input_tokens", body!.InputTokens);
        NonNegative("output_tokens", body.OutputTokens);
        NonNegative("cache_read_tokens", body.CacheReadTokens);
        NonNegative("cache_creation_tokens", body.CacheCreationTokens);
        NonNegative("cost_micro_usd", body.CostMicroUsd);
        var isSelf = self.Kind == CallerKind.Session && self.SessionId == id;
        if (self.Kind != CallerKind.Machine && !isSelf)
        {
            throw DomainException.Forbidden("usage is reported by the session's machine or by the session itself");
        }

        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var current = await ReadAsync(tx.Scope, caller.OwnerId, id, ct);
            if (caller.Kind == CallerKind.Machine && current.MachineId != caller.MachineId)
            {
                throw DomainException.Forbidden("only the machine that opened a session may report its usage");
            }

            await SessionRows.AddUsageAsync(tx, id, body, ct);
            var session = await ReadAsync(tx.Scope, caller.OwnerId, id, ct);
            tx.AddEvent(ServerEvents.Session(caller.OwnerId, session, now));
            return ApiResult.Ok(session, ContractsJsonContext.Default.SessionDto);
        });
    }

    private static async Task<SessionDto> ReadAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken) =>
        await SessionRows.GetAsync(db, ownerId, id, cancellationToken) ?? throw DomainException.NotFound("session", Validate.Truncate(id));

    /// <summary>The machine must hold the task's unexpired lease at the given epoch; a worker's task must be assigned to it.</summary>
    private static async Task<(string TaskId, long Epoch)> CheckLeaseAsync(
        WriteTransaction tx, Caller caller, Resolve.AgentRef agent, string taskId, long? epoch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (assignedTo, taskEpoch, leaseMachine, leaseExpires) = await TaskRows.LockLeaseStateAsync(tx, caller.OwnerId, taskId, cancellationToken)
            ?? throw DomainException.Validation("task_id", $"task '{Validate.Truncate(taskId)}' not found");
        if (agent.Kind == "leader")
        {
            return (taskId, epoch ?? taskEpoch);
        }

        if (epoch is null)
        {
            throw DomainException.Validation("epoch", "'epoch' (the task's lease epoch) is required for a worker session");
        }

        if (assignedTo != agent.Id)
        {
            throw DomainException.Conflict($"task '{taskId}' is not assigned to agent '{agent.Username}'");
        }

        if (leaseMachine != caller.MachineId || leaseExpires is null || leaseExpires <= now)
        {
            throw DomainException.Conflict(leaseMachine is not null && leaseMachine != caller.MachineId && leaseExpires > now
                ? $"task '{taskId}' is leased by another machine"
                : $"this machine holds no lease on task '{taskId}'; lease it first (POST /api/tasks/{taskId}/lease)",
                leaseMachine is not null && leaseMachine != caller.MachineId && leaseExpires > now ? ErrorCodes.LeaseHeld : ErrorCodes.Conflict);
        }

        if (epoch != taskEpoch)
        {
            throw DomainException.Conflict($"epoch {epoch} is stale: the task's lease is at epoch {taskEpoch}", ErrorCodes.StaleEpoch, "epoch");
        }

        return (taskId, taskEpoch);
    }

    private static void NonNegative(string field, long value)
    {
        if (value < 0)
        {
            throw DomainException.Validation(field, $"'{field}' must not be negative (counters only add up)");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SessionIdPattern();
}
