using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>Users (admin only) and <c>GET /api/whoami</c>. Each user owns its own boards, agents and machines.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/whoami", WhoAmI);
        var users = app.MapGroup("/api/users");
        users.MapPost("", CreateAsync);
        users.MapGet("", ListAsync);
        users.MapGet("/{id}", GetAsync);
        return app;
    }

    public static ApiResult WhoAmI(HttpContext http)
    {
        var caller = http.GetCaller();
        var kind = caller.Kind switch
        {
            CallerKind.User => "user",
            CallerKind.Machine => "machine",
            _ => caller.IsWorker ? "worker" : "leader",
        };
        return ApiResult.Ok(new WhoAmIDto(kind, caller.Kind == CallerKind.Session ? caller.AgentId ?? caller.Id : caller.Id,
            caller.Name, caller.TaskId, caller.SessionId), ContractsJsonContext.Default.WhoAmIDto);
    }

    public static async Task<ApiResult> CreateAsync(HttpContext http, Mutations mutations)
    {
        RequireAdmin(http.GetCaller());
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.CreateUserRequest, optional: false, http.RequestAborted);
        var name = Validate.Name("name", body!.Name, 100);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            if (await UserRows.NameTakenAsync(tx.Scope, name, ct))
            {
                throw DomainException.Conflict($"a user named '{name}' already exists", field: "name");
            }

            var token = Ids.NewSecret(Authenticator.UserTokenPrefix);
            var user = new UserDto(Ids.New(), name, body.IsAdmin, mutations.Clock.Now());
            await UserRows.InsertAsync(tx, user, Ids.Hash(token), ct);
            return ApiResult.Created(new UserWithTokenDto(user, token), ContractsJsonContext.Default.UserWithTokenDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store)
    {
        RequireAdmin(http.GetCaller());
        var users = await store.ReadAsync(UserRows.ListAsync, http.RequestAborted);
        return ApiResult.Ok(users, ContractsJsonContext.Default.ListUserDto);
    }

    public static async Task<ApiResult> GetAsync(string id, HttpContext http, IStorageEngine store)
    {
        RequireAdmin(http.GetCaller());
        var user = await store.ReadAsync((db, ct) => UserRows.FindAsync(db, id, ct), http.RequestAborted);
        return user is null
            ? ApiResult.Error(DomainException.NotFound("user", Validate.Truncate(id)))
            : ApiResult.Ok(user, ContractsJsonContext.Default.UserDto);
    }

    private static void RequireAdmin(Caller caller)
    {
        if (caller.Kind != CallerKind.User || !caller.IsAdmin)
        {
            throw DomainException.Forbidden("only an admin user can manage users");
        }
    }
}
