using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

/// <summary>Malformed, mistyped, oversized, unknown or hostile input: always a 4xx JSON error with a clear message, and the store unchanged.</summary>
public abstract class BadInputTests(ServerFixture fixture) : ServerTests(fixture)
{
    public static TheoryData<string, string, string, int, string?> Bodies() => new()
    {
        // method, path (with {board}/{task}/{machine}/{session} placeholders), body, expected status, expected field
        { "POST", "api/boards", "{\"name\":", 400, null },
        { "POST", "api/boards", "not json at all", 400, null },
        { "POST", "api/boards", "[1,2,3]", 400, null },
        { "POST", "api/boards", "null", 400, null },
        { "POST", "api/boards", "", 400, null },
        { "POST", "api/boards", "{\"name\": 5, \"type\": \"ops\"}", 400, "name" },
        { "POST", "api/boards", "{\"name\": \"x\", \"type\": \"scrum\"}", 400, "type" },
        { "POST", "api/boards", "{\"name\": \"line\\nbreak\"}", 400, "name" },
        { "POST", "api/boards", "{\"name\": \"bad \\ud800 surrogate\"}", 400, "name" },
        { "POST", "api/boards", "{\"name\": \"nul \\u0000 inside\"}", 400, "name" },
        { "POST", "api/tasks", "{\"board_id\": \"{board}\", \"title\": [\"a\"]}", 400, "title" },
        { "POST", "api/tasks", "{\"board_id\": \"{board}\", \"title\": \"t\", \"labels\": \"a,b\"}", 400, "labels" },
        { "POST", "api/tasks", "{\"board_id\": \"{board}\", \"title\": \"t\", \"labels\": [null]}", 400, "labels" },
        { "POST", "api/tasks", "{\"board_id\": \"{board}\", \"title\": \"t\", \"depends_on\": [42]}", 400, "depends_on" },
        { "POST", "api/tasks", "{\"board_id\": \"{board}\", \"title\": \"t\", \"scheduled_at\": 1767225600}", 400, "scheduled_at" },
        { "POST", "api/tasks", "{\"board_id\": \"{board}\", \"title\": \"" + new string('x', 501) + "\"}", 400, "title" },
        { "POST", "api/tasks", "{\"board_id\": \"no-such-board\", \"title\": \"t\"}", 400, "board_id" },
        { "POST", "api/tasks", "{\"board_id\": \"{board}\", \"title\": \"t\", \"assigned_to\": \"' OR 1=1 --\"}", 400, "assigned_to" },
        { "PATCH", "api/tasks/{task}", "{\"position\": \"first\"}", 400, "position" },
        { "PATCH", "api/tasks/{task}", "{\"depends_on\": [\"{task}\"]}", 400, "depends_on" },
        { "PATCH", "api/tasks/no-such-task", "{\"title\": \"x\"}", 404, null },
        { "POST", "api/tasks/{task}/reject", "{\"reason\": 7}", 400, "reason" },
        { "POST", "api/tasks/{task}/notes", "{\"detail\": {\"nested\": true}}", 400, "detail" },
        { "POST", "api/tasks/{task}/notes", "{}", 400, "detail" },
        { "POST", "api/agents", "{\"username\": \"ok-name\", \"runtime\": \"vim\"}", 400, "runtime" },
        { "POST", "api/agents", "{\"username\": \"../../etc\", \"runtime\": \"claude\"}", 400, "username" },
        { "POST", "api/repositories", "{\"name\": \"r\", \"url\": \"$(rm -rf /)\"}", 400, "url" },
        { "POST", "api/machines", "{\"device_id\": \"d\", \"runtimes\": [{\"name\": \"claude\", \"status\": \"great\"}]}", 400, "runtimes.status" },
        { "POST", "api/machines", "{\"device_id\": \"d\", \"runtimes\": {\"name\": \"claude\"}}", 400, "runtimes" },
        { "POST", "api/users", "{\"name\": \"x\", \"is_admin\": \"yes\"}", 403, null },
        { "DELETE", "api/boards/' OR '1'='1", "", 404, null },
        { "DELETE", "api/tasks/nonexistent", "", 404, null },
        { "POST", "api/tasks/nonexistent/complete", "", 404, null },
        { "POST", "api/tasks/{task}/bogus", "", 404, null },
        { "PUT", "api/boards", "{}", 405, null },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Bad_requests_get_a_clear_4xx_and_change_nothing(string method, string path, string body, int status, string? field)
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        string Fill(string s) => s.Replace("{board}", board.Id, StringComparison.Ordinal).Replace("{task}", task.Id, StringComparison.Ordinal);
        var before = await StoreSnapshot.TakeAsync(Server, Ct);

        var response = await user.Client.SendRawAsync(new HttpMethod(method), Fill(path), Fill(body), cancellationToken: Ct);

        var error = await response.ReadErrorAsync((HttpStatusCode)status, cancellationToken: Ct);
        if (field is not null)
        {
            Assert.Equal(field, error.Field);
            Assert.Equal(ErrorCodes.Validation, error.Code);
        }

        Assert.DoesNotContain("System.", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await StoreSnapshot.TakeAsync(Server, Ct));
    }

    [Fact]
    public async Task Bodies_over_one_mebibyte_are_refused_with_413()
    {
        var user = await NewUserAsync();
        var before = await StoreSnapshot.TakeAsync(Server, Ct);
        var big = "{\"name\":\"" + new string('a', 1024 * 1024) + "\"}";

        var sized = await user.Client.SendRawAsync(HttpMethod.Post, "api/boards", big, cancellationToken: Ct);
        await sized.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge, cancellationToken: Ct);

        // Without a Content-Length (chunked), the limit applies while reading.
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/boards")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        var chunked = await user.Client.SendAsync(request, Ct);
        await chunked.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge, cancellationToken: Ct);

        Assert.Equal(before, await StoreSnapshot.TakeAsync(Server, Ct));
    }

    [Fact]
    public async Task A_body_just_under_the_limit_is_accepted()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var description = new string('d', 60_000);
        var task = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "big", Description = description }, Ct);
        Assert.Equal(description, task.Description);
    }

    [Fact]
    public async Task Non_json_content_types_and_bad_idempotency_keys_are_refused()
    {
        var user = await NewUserAsync();
        var before = await StoreSnapshot.TakeAsync(Server, Ct);
        await (await user.Client.SendRawAsync(HttpMethod.Post, "api/boards", "{\"name\":\"x\"}", "text/plain", Ct)).ReadErrorAsync(HttpStatusCode.UnsupportedMediaType, cancellationToken: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/boards") { Content = HttpJson.Json(new CreateBoardRequest("x", "ops"), ContractsJsonContext.Default.CreateBoardRequest) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        await (await user.Client.SendAsync(request, Ct)).ReadErrorAsync(HttpStatusCode.BadRequest, field: "Idempotency-Key", cancellationToken: Ct);
        // Kestrel itself refuses a NUL in the path (400, before any endpoint runs).
        Assert.Equal(HttpStatusCode.BadRequest, (await user.Client.GetAsync("api/tasks/%00", Ct)).StatusCode);
        await (await user.Client.GetAsync("api/tasks?board_id=%00", Ct)).ReadErrorAsync(HttpStatusCode.BadRequest, cancellationToken: Ct);
        Assert.Equal(before, await StoreSnapshot.TakeAsync(Server, Ct));
    }

    [Fact]
    public async Task Injection_looking_strings_are_just_text()
    {
        var user = await NewUserAsync();
        var other = await NewUserAsync();
        await other.CreateBoardAsync("secret", cancellationToken: Ct);
        const string hostile = "x'; DROP TABLE tasks; -- \" OR \"1\"=\"1 <script>alert(1)</script>";
        var board = await user.CreateBoardAsync(hostile, cancellationToken: Ct);
        Assert.Equal(hostile, board.Name);
        var task = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = hostile, Title = hostile, Description = "'); DELETE FROM users; --" }, Ct);
        Assert.Equal((hostile, "'); DELETE FROM users; --"), (task.Title, task.Description));
        Assert.Equal(board.Id, task.BoardId);

        var matches = await (await user.Client.GetAsync("api/tasks?board_id=" + Uri.EscapeDataString("' OR '1'='1"), Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct);
        Assert.Empty(matches);
        var boards = await (await user.Client.GetAsync("api/boards?name=" + Uri.EscapeDataString("secret' OR '1'='1"), Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListBoardDto, Ct);
        Assert.Empty(boards);
        Assert.Single(await (await user.Client.GetAsync("api/tasks", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct));
        Assert.NotEmpty(await (await Server.Admin.GetAsync("api/users", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListUserDto, Ct));
    }
}

public sealed class BadInputSqliteTests(SqliteServerFixture fixture) : BadInputTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class BadInputPostgresTests(PostgresServerFixture fixture) : BadInputTests(fixture), IClassFixture<PostgresServerFixture>;
