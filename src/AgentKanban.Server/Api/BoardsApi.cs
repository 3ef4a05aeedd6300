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
            await tx.Command("INSERT INTO boards (id, owner_id, name, type, description, task_seq, created_at, updated_at) " +
                             "VALUES (@id, @o, @n, @type, @d, 0, @t, @t)")
                .Add("@id", id).Add("@o", caller.OwnerId).Add("@n", name).Add("@type", type).Add("@d", description).Add("@t", now)
                .ExecAsync(ct);
            return ApiResult.Created(await ReadAsync(tx.Scope, caller.OwnerId, id, ct), ContractsJsonContext.Default.BoardDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, string? name = null)
    {
        var caller = http.GetCaller();
        var boards = await store.ReadAsync(async (db, ct) =>
        {
            await using var command = db.Command("SELECT id FROM boards WHERE owner_id = @o" + (name is null ? "" : " AND name = @n") +
                                                 " ORDER BY created_seq").Add("@o", caller.OwnerId);
            if (name is not null)
            {
                command.Add("@n", name);
            }

            var ids = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    ids.Add(reader.GetString(0));
                }
            }

            var list = new List<BoardDto>(ids.Count);
            foreach (var id in ids)
            {
                list.Add(await ReadAsync(db, caller.OwnerId, id, ct));
            }

            return list;
        }, http.RequestAborted);
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

            await tx.Command("UPDATE boards SET name = COALESCE(@n, name), description = CASE WHEN @hasd THEN @d ELSE description END, " +
                             "updated_at = @t WHERE id = @id")
                .Add("@n", name).Add("@hasd", description is not null).Add("@d", description is "" ? null : description)
                .Add("@t", mutations.Clock.Now()).Add("@id", board.Id)
                .ExecAsync(ct);
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

            await tx.Command("DELETE FROM boards WHERE id = @id").Add("@id", board.Id).ExecAsync(ct);
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
            var added = await tx.Command("INSERT INTO labels (board_id, name, color, description, created_at) VALUES (@b, @n, @c, @d, @t) " +
                                         "ON CONFLICT (board_id, name) DO NOTHING")
                .Add("@b", board.Id).Add("@n", name).Add("@c", color).Add("@d", description).Add("@t", now)
                .ExecAsync(ct);
            if (added == 0)
            {
                throw DomainException.Conflict($"board '{board.Name}' already has a label '{name}'", field: "name");
            }

            await tx.Command("UPDATE boards SET updated_at = @t WHERE id = @id").Add("@t", now).Add("@id", board.Id).ExecAsync(ct);
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
            var removed = await tx.Command("DELETE FROM labels WHERE board_id = @b AND name = @n").Add("@b", board.Id).Add("@n", name).ExecAsync(ct);
            if (removed == 0)
            {
                throw DomainException.NotFound("label", Validate.Truncate(name));
            }

            // The label disappears from the board's tasks too.
            var affected = new List<string>();
            await using (var command = tx.Command("SELECT l.task_id FROM task_labels l JOIN tasks t ON t.id = l.task_id WHERE t.board_id = @b AND l.name = @n")
                             .Add("@b", board.Id).Add("@n", name))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    affected.Add(reader.GetString(0));
                }
            }

            foreach (var taskId in affected)
            {
                await tx.Command("DELETE FROM task_labels WHERE task_id = @t AND name = @n").Add("@t", taskId).Add("@n", name).ExecAsync(ct);
                await tx.Command("UPDATE tasks SET updated_at = @now WHERE id = @t").Add("@now", now).Add("@t", taskId).ExecAsync(ct);
                if (await TaskRows.GetAsync(tx.Scope, caller.OwnerId, taskId, now, ct) is { } task)
                {
                    tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, caller.OwnerId, task, now));
                }
            }

            await tx.Command("UPDATE boards SET updated_at = @t WHERE id = @id").Add("@t", now).Add("@id", board.Id).ExecAsync(ct);
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

    public static async Task<BoardDto> ReadAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken)
    {
        var labels = new List<LabelDto>();
        await using (var command = db.Command("SELECT name, color, description FROM labels WHERE board_id = @b ORDER BY name").Add("@b", id))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                labels.Add(new LabelDto(reader.GetString(0), reader.GetString(1), reader.GetStringOrNull(2)));
            }
        }

        await using (var command = db.Command("SELECT id, name, type, description, created_at, updated_at FROM boards WHERE id = @id AND owner_id = @o")
                         .Add("@id", id).Add("@o", ownerId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw DomainException.NotFound("board", id);
            }

            return new BoardDto(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), labels,
                reader.GetTime(4), reader.GetTime(5));
        }
    }

    private static async Task EnsureNameFreeAsync(DbScope db, string ownerId, string name, string? exceptId, CancellationToken cancellationToken)
    {
        var existing = await db.Command("SELECT id FROM boards WHERE owner_id = @o AND name = @n").Add("@o", ownerId).Add("@n", name)
            .ScalarAsync(cancellationToken);
        if (existing is string other && other != exceptId)
        {
            throw DomainException.Conflict($"a board named '{name}' already exists", field: "name");
        }
    }
}
