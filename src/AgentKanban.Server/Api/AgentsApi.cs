using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>Agents (worker or leader; runtime, model, role, instructions). <c>{id}</c> accepts the id or the username.</summary>
public static class AgentsApi
{
    public static readonly string[] Kinds = ["worker", "leader"];

    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var agents = app.MapGroup("/api/agents");
        agents.MapPost("", CreateAsync);
        agents.MapGet("", ListAsync);
        agents.MapGet("/{id}", GetAsync);
        agents.MapPatch("/{id}", UpdateAsync);
        agents.MapDelete("/{id}", DeleteAsync);
        return app;
    }

    public static async Task<ApiResult> CreateAsync(HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("create agents");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.CreateAgentRequest, optional: false, http.RequestAborted);
        var username = Validate.Username("username", body!.Username);
        var runtime = Validate.OneOf("runtime", body.Runtime, RuntimeNames.All);
        var kind = Validate.OneOf("kind", body.Kind, Kinds, fallback: "worker");
        var name = Validate.OptionalName("name", body.Name);
        var model = Validate.OptionalName("model", body.Model);
        var role = Validate.OptionalName("role", body.Role);
        var instructions = Validate.Text("instructions", body.Instructions);
        var permissionMode = Validate.OptionalName("permission_mode", body.PermissionMode, 100);
        // One line, bounded; the daemon splits it into words when it starts the agent (used by runtime acp only).
        var command = Validate.OptionalName("command", body.Command, 1000);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            if (await Resolve.FindAgentAsync(tx.Scope, caller.OwnerId, username, ct) is { Username: var existing } && existing == username)
            {
                throw DomainException.Conflict($"an agent named '{username}' already exists", field: "username");
            }

            var id = Ids.New();
            var now = mutations.Clock.Now();
            await AgentRows.InsertAsync(tx, id, caller.OwnerId, username, kind, runtime,
                new AgentRows.Fields(Name: name, Model: model, Role: role, Instructions: instructions, PermissionMode: permissionMode, Command: command), now, ct);
            return ApiResult.Created(await ReadAsync(tx.Scope, caller.OwnerId, id, ct), ContractsJsonContext.Default.AgentDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, string? runtime = null, string? kind = null, string? username = null)
    {
        var caller = http.GetCaller();
        var agents = await store.ReadAsync((db, ct) => AgentRows.ListAsync(db, caller.OwnerId, runtime, kind, username, ct), http.RequestAborted);
        return ApiResult.Ok(agents, ContractsJsonContext.Default.ListAgentDto);
    }

    public static async Task<ApiResult> GetAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var agent = await store.ReadAsync(async (db, ct) =>
        {
            var found = await Resolve.AgentAsync(db, caller.OwnerId, id, ct);
            return await ReadAsync(db, caller.OwnerId, found.Id, ct);
        }, http.RequestAborted);
        return ApiResult.Ok(agent, ContractsJsonContext.Default.AgentDto);
    }

    public static async Task<ApiResult> UpdateAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("update agents");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.UpdateAgentRequest, optional: false, http.RequestAborted);
        var runtime = body!.Runtime is null ? null : Validate.OneOf("runtime", body.Runtime, RuntimeNames.All);
        var kind = body.Kind is null ? null : Validate.OneOf("kind", body.Kind, Kinds);
        var name = Validate.OptionalName("name", body.Name);
        var model = Validate.OptionalName("model", body.Model);
        var role = Validate.OptionalName("role", body.Role);
        var instructions = Validate.Text("instructions", body.Instructions);
        var permissionMode = Validate.OptionalName("permission_mode", body.PermissionMode, 100);
        // One line, bounded; the daemon splits it into words when it starts the agent (used by runtime acp only).
        var command = Validate.OptionalName("command", body.Command, 1000);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var agent = await Resolve.AgentAsync(tx.Scope, caller.OwnerId, id, ct);
            // Absent fields stay; an empty string clears an optional one.
            await AgentRows.UpdateAsync(tx, agent.Id, new AgentRows.Fields(runtime, kind, name, model, role, instructions, permissionMode, command),
                mutations.Clock.Now(), ct);
            return ApiResult.Ok(await ReadAsync(tx.Scope, caller.OwnerId, agent.Id, ct), ContractsJsonContext.Default.AgentDto);
        });
    }

    public static async Task<ApiResult> DeleteAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("delete agents");
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var agent = await Resolve.AgentAsync(tx.Scope, caller.OwnerId, id, ct);
            var now = mutations.Clock.Now();
            var assigned = await TaskRows.AssignedToAsync(tx.Scope, agent.Id, ct);
            // Its tasks become unassigned (and fenced: sessions of the deleted agent go with it).
            await TaskRows.UnassignAllAsync(tx, agent.Id, now, ct);
            await AgentRows.DeleteAsync(tx, agent.Id, ct);
            foreach (var taskId in assigned)
            {
                if (await TaskRows.GetAsync(tx.Scope, caller.OwnerId, taskId, now, ct) is { } task)
                {
                    tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
                }
            }

            return ApiResult.NoContent();
        });
    }

    private static async Task<AgentDto> ReadAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken) =>
        await AgentRows.GetAsync(db, ownerId, id, cancellationToken) ?? throw DomainException.NotFound("agent", id);
}
