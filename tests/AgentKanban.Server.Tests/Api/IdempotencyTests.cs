using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

public abstract class IdempotencyTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task A_repeated_create_is_answered_from_the_store_and_applied_once()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var request = new CreateTaskRequest { BoardId = board.Id, Title = "once" };

        var first = await Send(user.Client, HttpMethod.Post, "api/tasks", "key-1", request);
        var second = await Send(user.Client, HttpMethod.Post, "api/tasks", "key-1", request);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(second.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
        Assert.Single(await (await user.Client.GetAsync("api/tasks", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct));

        // A new key is a new request.
        await (await Send(user.Client, HttpMethod.Post, "api/tasks", "key-2", request)).ExpectAsync(HttpStatusCode.Created, Ct);
        Assert.Equal(2, (await (await user.Client.GetAsync("api/tasks", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct)).Count);
    }

    [Fact]
    public async Task A_retried_transition_replays_its_success_instead_of_failing()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "review");

        var first = await Send(work.Machine.Client, HttpMethod.Post, $"api/tasks/{work.Task.Id}/complete", "complete-1", new TransitionRequest());
        var retry = await Send(work.Machine.Client, HttpMethod.Post, $"api/tasks/{work.Task.Id}/complete", "complete-1", new TransitionRequest());
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, retry.StatusCode));
        Assert.Single((await user.GetTaskAsync(work.Task.Id, Ct)).Activity!, a => a.Action == "completed");
        // Without the key, the same call is a plain illegal transition.
        await (await TransitionAsync(work.Machine.Client, work.Task.Id, "complete")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.IllegalTransition, cancellationToken: Ct);
    }

    [Fact]
    public async Task Keys_are_scoped_to_the_caller()
    {
        var alice = await NewUserAsync();
        var bob = await NewUserAsync();
        var aliceBoard = await Send(alice.Client, HttpMethod.Post, "api/boards", "same-key", new CreateBoardRequest("a", "ops"));
        var bobBoard = await Send(bob.Client, HttpMethod.Post, "api/boards", "same-key", new CreateBoardRequest("b", "ops"));
        Assert.False(bobBoard.Headers.Contains("Idempotent-Replayed"));
        var a = await aliceBoard.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, Ct);
        var b = await bobBoard.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, Ct);
        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public async Task A_refused_request_is_not_remembered()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var refused = await Send(user.Client, HttpMethod.Post, "api/tasks", "k", new CreateTaskRequest { BoardId = board.Id, Title = "t", Labels = ["later"] });
        await refused.ReadErrorAsync(HttpStatusCode.BadRequest, cancellationToken: Ct);
        await user.AddLabelAsync(board.Id, "later", cancellationToken: Ct);
        var accepted = await Send(user.Client, HttpMethod.Post, "api/tasks", "k", new CreateTaskRequest { BoardId = board.Id, Title = "t", Labels = ["later"] });
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.False(accepted.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_apply_once_and_all_get_the_same_answer()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            var response = await Send(user.Client, HttpMethod.Post, "api/tasks", "racing", new CreateTaskRequest { BoardId = board.Id, Title = "race" });
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }, Ct)).ToList();
        start.SetResult();
        var results = await Task.WhenAll(calls);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(results.Select(r => r.Body).Distinct());
        Assert.Single(await (await user.Client.GetAsync("api/tasks", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct));
    }

    private static Task<HttpResponseMessage> Send<T>(HttpClient client, HttpMethod method, string url, string key, T body)
    {
        var request = new HttpRequestMessage(method, url)
        {
            Content = HttpJson.Json(body, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ContractsJsonContext.Default.GetTypeInfo(typeof(T))!),
        };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request, Ct);
    }
}

public sealed class IdempotencySqliteTests(SqliteServerFixture fixture) : IdempotencyTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class IdempotencyPostgresTests(PostgresServerFixture fixture) : IdempotencyTests(fixture), IClassFixture<PostgresServerFixture>;
