using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>Boards and their labels. <c>{id}</c> accepts a board id or its name. Managed by users and leaders.</summary>
public static class BoardsApi
{
    private static readonly string[] BoardTypes = ["dev", "ops"];

    public static IEndpointRouteBuilder MapBoardsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var boards = app.MapGroup("/api/boards");
        boards.MapPost("", CreateAsync);
        boards.MapGet("", ListAsync);
        boards.MapGet("/{id}", GetAsync);
        boards.MapPatch("/{id}", UpdateAsync);
        boards.MapDelete("/{id}", DeleteAsync);
        boards.MapPost("/{id}/labels", AddLabelAsync);
        boards.MapDelete("/{id}/labels/{name}", RemoveLabelAsync);
        return app;
    }

    public static async Task<ApiResult> CreateAsync(HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("create boards");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.CreateBoardRequest, optional: false, http.RequestAborted);
        var name = Validate.Name("name", body!.Name);
        var type = Validate.OneOf("type", body.Type, BoardTypes, fallback: "dev");
        var description = Validate.Text("description", body.Description);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            await EnsureNameFreeAsync(tx.Scope, caller.OwnerId, name, null, ct);
            var id = Ids.New();
            var now = mutations.Clock.Now();
            await BoardRows.InsertAsync(tx, id, caller.OwnerId, name, type, description, now, ct);
            return ApiResult.Created(await ReadAsync(tx.Scope, caller.OwnerId, id, ct), ContractsJsonContext.Default.BoardDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, string? name = null)
    {
        var caller = http.GetCaller();
        var boards = await store.ReadAsync((db, ct) => BoardRows.ListAsync(db, caller.OwnerId, name, ct), http.RequestAborted);
        return ApiResult.Ok(boards, ContractsJsonContext.Default.ListBoardDto);
    }

    public static async Task<ApiResult> GetAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var board = await store.ReadAsync(async (db, ct) =>
        {
            var found = await Resolve.BoardAsync(db, caller.OwnerId, id, ct);
            return await ReadAsync(db, caller.OwnerId, found.Id, ct);
        }, http.RequestAborted);
        return ApiResult.Ok(board, ContractsJsonContext.Default.BoardDto);
    }

    public static async Task<ApiResult> UpdateAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("update boards");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.UpdateBoardRequest, optional: false, http.RequestAborted);
        var name = body!.Name is null ? null : Validate.Name("name", body.Name);
        var description = Validate.Text("description", body.Description);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var board = await Resolve.BoardAsync(tx.Scope, caller.OwnerId, id, ct);
            if (name is not null)
            {
                await EnsureNameFreeAsync(tx.Scope, caller.OwnerId, name, board.Id, ct);
            }

            await BoardRows.UpdateAsync(tx, board.Id, name, description, mutations.Clock.Now(), ct);
            return ApiResult.Ok(await ReadAsync(tx.Scope, caller.OwnerId, board.Id, ct), ContractsJsonContext.Default.BoardDto);
        });
    }

    public static async Task<ApiResult> DeleteAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("delete boards");
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var board = await Resolve.BoardAsync(tx.Scope, caller.OwnerId, id, ct);
            var now = mutations.Clock.Now();
            // Live streams learn that every task of the board is gone.
            foreach (var task in await TaskRows.ListAsync(tx.Scope, caller.OwnerId, new TaskRows.Filter(BoardId: board.Id, Limit: int.MaxValue), now, ct))
            {
                tx.AddEvent(ServerEvents.Task(ServerEvents.TaskDeleted, caller.OwnerId, task, now));
            }

            await BoardRows.DeleteAsync(tx, board.Id, ct);
            return ApiResult.NoContent();
        });
    }

    public static async Task<ApiResult> AddLabelAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("edit board labels");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.CreateLabelRequest, optional: false, http.RequestAborted);
        var name = LabelName("name", body!.Name);
        var color = body.Color is null ? "#6b7280" : Validate.Color("color", body.Color);
        var description = Validate.OptionalName("description", body.Description, 500);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var board = await Resolve.BoardAsync(tx.Scope, caller.OwnerId, id, ct);
            var now = mutations.Clock.Now();
            if (await BoardRows.AddLabelAsync(tx, board.Id, name, color, description, now, ct) == 0)
            {
                throw DomainException.Conflict($"board '{board.Name}' already has a label '{name}'", field: "name");
            }

            await BoardRows.TouchAsync(tx, board.Id, now, ct);
            return ApiResult.Created(await ReadAsync(tx.Scope, caller.OwnerId, board.Id, ct), ContractsJsonContext.Default.BoardDto);
        });
    }

    public static async Task<ApiResult> RemoveLabelAsync(string id, string name, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("edit board labels");
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var board = await Resolve.BoardAsync(tx.Scope, caller.OwnerId, id, ct);
            var now = mutations.Clock.Now();
            if (await BoardRows.RemoveLabelAsync(tx, board.Id, name, ct) == 0)
            {
                throw DomainException.NotFound("label", Validate.Truncate(name));
            }

            // The label disappears from the board's tasks too.
            foreach (var taskId in await TaskRows.WithLabelAsync(tx.Scope, board.Id, name, ct))
            {
                await TaskRows.RemoveLabelAsync(tx, taskId, name, now, ct);
                if (await TaskRows.GetAsync(tx.Scope, caller.OwnerId, taskId, now, ct) is { } task)
                {
                    tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
                }
            }

            await BoardRows.TouchAsync(tx, board.Id, now, ct);
            return ApiResult.Ok(await ReadAsync(tx.Scope, caller.OwnerId, board.Id, ct), ContractsJsonContext.Default.BoardDto);
        });
    }

    /// <summary>Label names are single-line and comma-free (the CLI passes label lists as <c>a,b</c>).</summary>
    public static string LabelName(string field, string? value)
    {
        var name = Validate.Name(field, value, 50);
        if (name.Contains(',', StringComparison.Ordinal))
        {
            throw DomainException.Validation(field, $"'{field}' must not contain a comma");
        }

        return name;
    }

    private static async Task<BoardDto> ReadAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken) =>
        await BoardRows.GetAsync(db, ownerId, id, cancellationToken) ?? throw DomainException.NotFound("board", id);

    private static async Task EnsureNameFreeAsync(DbScope db, string ownerId, string name, string? exceptId, CancellationToken cancellationToken)
    {
        if (await BoardRows.IdByNameAsync(db, ownerId, name, cancellationToken) is { } other && other != exceptId)
        {
            throw DomainException.Conflict($"a board named '{name}' already exists", field: "name");
        }
    }
}
