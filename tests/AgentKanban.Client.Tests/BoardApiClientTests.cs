using System.Net;
using System.Net.Http.Headers;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Client.Tests;

public sealed class BoardApiClientTests
{
    private const string Server = "http://board.test:7420";
    private const string TaskJson = """{"id":"t1","board_id":"b1","title":"A task","status":"todo"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BoardApiClient Client(FakeServer server, BoardCredentials? credentials = null, BoardApiClientOptions? options = null, string url = Server) =>
        new(url, credentials ?? new BearerTokenCredentials("tok"), options, server);

    [Fact]
    public async Task An_error_in_the_servers_shape_carries_status_code_field_and_message()
    {
        using var server = new FakeServer(_ => FakeServer.Error(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, "epoch 3 is stale", "epoch"));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.GetTaskAsync("t1", Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.Status);
        Assert.Equal(ErrorCodes.StaleEpoch, e.Code);
        Assert.Equal("epoch", e.Field);
        Assert.Equal("epoch 3 is stale", e.Message);
        Assert.False(e.IsTransient);
        Assert.True(e.IsConflict);
        Assert.True(e.IsErrorAnswer);
        Assert.False(e.IsNoAnswer);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.RequestTimeout, true)]
    [InlineData((HttpStatusCode)425, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Forbidden, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    public async Task The_servers_own_errors_are_transient_by_status(HttpStatusCode status, bool transient)
    {
        using var server = new FakeServer(_ => FakeServer.Error(status, "some_code", "no"));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.ListAgentsAsync(Ct));

        Assert.Equal(transient, e.IsTransient);
        Assert.Equal("some_code", e.Code);
    }

    [Fact]
    public async Task An_error_not_in_the_servers_shape_is_transient_and_described_by_its_status_line()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.Forbidden, "<html>proxy</html>", "Forbidden"));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.WhoAmIAsync(Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Null(e.Code);
        Assert.True(e.IsTransient);
        Assert.Equal("the server answered 403 Forbidden", e.Message);
    }

    [Fact]
    public async Task A_404_not_in_the_servers_shape_names_the_missing_path()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.NotFound, "", "Not Found"));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.GetBoardAsync("b 1", Ct));

        Assert.Equal("the server answered 404 Not Found: /api/boards/b%201 does not exist on this server", e.Message);
    }

    [Fact]
    public async Task A_401_gets_the_consumers_hint_saying_whether_the_server_explained()
    {
        var seen = new List<(string, bool)>();
        var options = new BoardApiClientOptions { UnauthorizedHint = (credentials, explained) => { seen.Add((credentials.Describe(), explained)); return " (hint)"; } };
        using var explained = new FakeServer(_ => FakeServer.Error(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, "authentication required"));
        using var bare = new FakeServer(_ => FakeServer.Json(HttpStatusCode.Unauthorized, "", "Unauthorized"));
        using var first = Client(explained, new BearerTokenCredentials(null), options);
        using var second = Client(bare, options: options);

        var a = await Assert.ThrowsAsync<ServerApiException>(() => first.WhoAmIAsync(Ct));
        var b = await Assert.ThrowsAsync<ServerApiException>(() => second.WhoAmIAsync(Ct));

        Assert.Equal("authentication required (hint)", a.Message);
        Assert.Equal("the server answered 401 Unauthorized (hint)", b.Message);
        Assert.Equal([(BearerTokenCredentials.NoCredentials, true), ("token", false)], seen);
    }

    [Fact]
    public async Task No_answer_is_transient_and_names_the_server()
    {
        using var server = new FakeServer((_, _) => Task.FromException<HttpResponseMessage>(
            new HttpRequestException("outer", new IOException("Connection refused (board.test:7420)"))));
        using var client = Client(server, url: Server + "/");

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.GetTaskAsync("t1", Ct));

        Assert.True(e.IsNoAnswer);
        Assert.True(e.IsTransient);
        Assert.Equal($"cannot reach server at {Server}: Connection refused (board.test:7420)", e.Message);
    }

    [Fact]
    public async Task A_call_past_its_deadline_is_no_answer_but_the_callers_cancellation_is_a_cancellation()
    {
        using var server = new FakeServer(async (_, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return FakeServer.Json(HttpStatusCode.OK, TaskJson);
        });
        using var client = Client(server, options: new BoardApiClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(50) });

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.GetTaskAsync("t1", Ct));
        Assert.True(e.IsNoAnswer);
        Assert.True(e.IsTransient);
        Assert.StartsWith($"the server at {Server} did not answer within", e.Message, StringComparison.Ordinal);

        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var patient = Client(server);
        var call = patient.GetTaskAsync("t1", cancelled.Token);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task A_success_answer_that_is_not_json_is_transient_and_no_error_answer()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, "<html>captive portal</html>"));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.GetTaskAsync("t1", Ct));

        Assert.Equal(HttpStatusCode.OK, e.Status);
        Assert.True(e.IsTransient);
        Assert.False(e.IsErrorAnswer);
        Assert.StartsWith("the server's answer to GET /api/tasks/t1 is not what this ak expects", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_success_answer_is_an_error()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, ""));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.LeaseAsync("t1", Ct));

        Assert.Equal("the server sent an empty answer to POST /api/tasks/t1/lease", e.Message);
    }

    [Fact]
    public async Task Find_answers_null_for_a_missing_task()
    {
        using var server = new FakeServer(_ => FakeServer.Error(HttpStatusCode.NotFound, ErrorCodes.NotFound, "task 't9' not found"));
        using var client = Client(server);

        Assert.Null(await client.FindTaskAsync("t9", Ct));
    }

    [Fact]
    public async Task Calls_carry_the_credentials_unless_they_name_their_own_bearer()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, TaskJson));
        using var client = Client(server, new BearerTokenCredentials("user-token"), new BoardApiClientOptions { UserAgent = new ProductInfoHeaderValue("ak", "1.2.3") });

        await client.GetTaskAsync("t1", Ct);
        Assert.Equal("Bearer user-token", server.Last.Authorization);
        Assert.Equal("ak/1.2.3", server.Last.UserAgent);

        await client.ClaimAsSessionAsync("t1", "session-token", Ct);
        Assert.Equal("Bearer session-token", server.Last.Authorization);
        Assert.Equal("{}", server.Last.Body);

        client.UseToken("akm_machine");
        await client.GetTaskAsync("t1", Ct);
        Assert.Equal("Bearer akm_machine", server.Last.Authorization);
    }

    [Fact]
    public async Task No_token_sends_no_authorization()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, TaskJson));
        using var client = Client(server, new BearerTokenCredentials(null));

        await client.GetTaskAsync("t1", Ct);

        Assert.Null(server.Last.Authorization);
    }

    [Fact]
    public async Task A_session_signs_a_fresh_token_for_its_audience()
    {
        var (privateKey, _) = SessionToken.GenerateKeyPair();
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, TaskJson));
        using var client = Client(server, new SessionKeyCredentials("s-1", Convert.FromBase64String(privateKey), Server, TimeProvider.System));

        await client.GetTaskAsync("t1", Ct);

        var token = server.Last.Authorization!["Bearer ".Length..];
        Assert.True(SessionToken.TryReadSubject(token, out var subject));
        Assert.Equal("s-1", subject);
        Assert.Equal("agent session s-1", client.Credentials.Describe());
    }

    [Fact]
    public async Task A_raw_request_goes_out_verbatim_with_its_idempotency_key()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.Created, "{}"));
        using var client = Client(server, new BearerTokenCredentials("akm_machine"));

        var status = await client.SendRawAsync("POST", "api/tasks/t1/notes", """{"detail":"x"}""", "key-1", null, Ct);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(new FakeServer.Sent("POST", "/api/tasks/t1/notes", "Bearer akm_machine", "key-1", null, "", "", """{"detail":"x"}"""), server.Last);

        await client.SendRawAsync("DELETE", "api/tasks/t1/lease", null, "key-2", "session-token", Ct);
        Assert.Equal(new FakeServer.Sent("DELETE", "/api/tasks/t1/lease", "Bearer session-token", "key-2", null, "", "", null), server.Last);
    }

    [Fact]
    public async Task A_raw_request_the_server_refuses_throws_with_its_code()
    {
        using var server = new FakeServer(_ => FakeServer.Error(HttpStatusCode.Conflict, ErrorCodes.IllegalTransition, "task is done"));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => client.SendRawAsync("POST", "api/tasks/t1/review", "{}", "k", null, Ct));

        Assert.Equal(ErrorCodes.IllegalTransition, e.Code);
    }

    [Fact]
    public async Task Tolerant_calls_take_an_unreadable_success_as_done()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, "not json"));
        using var client = Client(server);

        Assert.Null(await client.PostAgentEventsAsync("s-1", """{"events":[]}""", "session-token", Ct));
        Assert.Equal("/api/sessions/s-1/events", server.Last.PathAndQuery);
        Assert.Null(await client.ClaimAsSessionAsync("t1", "session-token", Ct));
    }

    [Fact]
    public async Task Queries_leave_out_empty_filters_and_escape_values()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, "[]"));
        using var client = Client(server, url: "http://board.test/prefix/");

        await client.ListTasksAsync(new TaskFilter(BoardId: "b 1", Label: "a&b"), Ct);
        Assert.Equal("/prefix/api/tasks?board_id=b%201&label=a%26b", server.Last.PathAndQuery);

        await client.ListTasksAsync("status=todo", Ct);
        Assert.Equal("/prefix/api/tasks?status=todo", server.Last.PathAndQuery);

        await client.ListAgentsAsync(Ct);
        Assert.Equal("/prefix/api/agents", server.Last.PathAndQuery);
    }

    [Fact]
    public async Task Bodies_are_the_contracts_snake_case_json()
    {
        using var server = new FakeServer(_ => FakeServer.Json(HttpStatusCode.OK, """{"id":"s-1","task_id":"t1","agent_id":"a1","machine_id":"m1","status":"active"}"""));
        using var client = Client(server);

        await client.OpenSessionAsync(new OpenSessionRequest { SessionId = "s-1", AgentId = "a1", TaskId = "t1", PublicKey = "pk" }, "open-s-1", Ct);

        Assert.Contains("\"session_id\":\"s-1\"", server.Last.Body, StringComparison.Ordinal);
        Assert.Equal("open-s-1", server.Last.IdempotencyKey);
    }
}
