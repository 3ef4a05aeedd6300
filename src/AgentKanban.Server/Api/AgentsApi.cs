using System.Data.Common;
using System.Text;
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

    private const string Columns = "id, username, name, kind, runtime, model, role, instructions, permission_mode, created_at, updated_at";

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
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            if (await Resolve.FindAgentAsync(tx.Scope, caller.OwnerId, username, ct) is { Username: var existing } && existing == username)
            {
                throw DomainException.Conflict($"an agent named '{username}' already exists", field: "username");
            }

            var id = Ids.New();
            var now = mutations.Clock.Now();
            await tx.Command("INSERT INTO agents (id, owner_id, username, name, kind, runtime, model, role, instructions, permission_mode, created_at, updated_at) " +
                             "VALUES (@id, @o, @u, @n, @k, @r, @m, @role, @i, @p, @t, @t)")
                .Add("@id", id).Add("@o", caller.OwnerId).Add("@u", username).Add("@n", name).Add("@k", kind).Add("@r", runtime)
                .Add("@m", model).Add("@role", role).Add("@i", instructions).Add("@p", permissionMode).Add("@t", now)
                .ExecAsync(ct);
            return ApiResult.Created(await ReadAsync(tx.Scope, caller.OwnerId, id, ct), ContractsJsonContext.Default.AgentDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, string? runtime = null, string? kind = null, string? username = null)
    {
        var caller = http.GetCaller();
        var agents = await store.ReadAsync(async (db, ct) =>
        {
            var sql = new StringBuilder($"SELECT {Columns} FROM agents WHERE owner_id = @o");
            await using var command = db.Command("").Add("@o", caller.OwnerId);
            if (runtime is not null)
            {
                sql.Append(" AND runtime = @r");
                command.Add("@r", runtime);
            }

            if (kind is not null)
            {
                sql.Append(" AND kind = @k");
                command.Add("@k", kind);
            }

            if (username is not null)
            {
                sql.Append(" AND username = @u");
                command.Add("@u", username);
            }

            command.CommandText = sql.Append(" ORDER BY username").ToString();
            var list = new List<AgentDto>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                list.Add(Map(reader));
            }

            return list;
        }, http.RequestAborted);
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
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var agent = await Resolve.AgentAsync(tx.Scope, caller.OwnerId, id, ct);
            // Absent fields stay; an empty string clears an optional one.
            await tx.Command("UPDATE agents SET runtime = COALESCE(@r, runtime), kind = COALESCE(@k, kind), " +
                             "name = CASE WHEN @hn THEN @n ELSE name END, model = CASE WHEN @hm THEN @m ELSE model END, " +
                             "role = CASE WHEN @hr THEN @role ELSE role END, instructions = CASE WHEN @hi THEN @i ELSE instructions END, " +
                             "permission_mode = CASE WHEN @hp THEN @p ELSE permission_mode END, updated_at = @t WHERE id = @id")
                .Add("@r", runtime).Add("@k", kind)
                .Add("@hn", name is not null).Add("@n", Blank(name))
                .Add("@hm", model is not null).Add("@m", Blank(model))
                .Add("@hr", role is not null).Add("@role", Blank(role))
                .Add("@hi", instructions is not null).Add("@i", Blank(instructions))
                .Add("@hp", permissionMode is not null).Add("@p", Blank(permissionMode))
                .Add("@t", mutations.Clock.Now()).Add("@id", agent.Id)
                .ExecAsync(ct);
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
            var assigned = new List<string>();
            await using (var command = tx.Command("SELECT id FROM tasks WHERE assigned_to = @a").Add("@a", agent.Id))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    assigned.Add(reader.GetString(0));
                }
            }

            // Its tasks become unassigned (and fenced: sessions of the deleted agent go with it).
            await tx.Command("UPDATE tasks SET assigned_to = NULL, lease_machine_id = NULL, lease_expires_at = NULL, epoch = epoch + 1, " +
                             "updated_at = @t WHERE assigned_to = @a").Add("@t", now).Add("@a", agent.Id).ExecAsync(ct);
            await tx.Command("DELETE FROM agents WHERE id = @id").Add("@id", agent.Id).ExecAsync(ct);
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

    public static async Task<AgentDto> ReadAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken)
    {
        await using var command = db.Command($"SELECT {Columns} FROM agents WHERE id = @id AND owner_id = @o").Add("@id", id).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : throw DomainException.NotFound("agent", id);
    }

    private static string? Blank(string? value) => value is "" ? null : value;

    private static AgentDto Map(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Username = r.GetString(1),
        Name = r.GetStringOrNull(2),
        Kind = r.GetString(3),
        Runtime = r.GetString(4),
        Model = r.GetStringOrNull(5),
        Role = r.GetStringOrNull(6),
        Instructions = r.GetStringOrNull(7),
        PermissionMode = r.GetStringOrNull(8),
        CreatedAt = r.GetTime(9),
        UpdatedAt = r.GetTime(10),
    };
}
