using System.Net;
using System.Text.Json;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>Who may open which stream, and what a bad request gets.</summary>
public sealed class EventStreamAccessTests
{
    public static TheoryData<string> Engines => ["sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_machine_opens_its_own_stream_but_not_another_machines(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var admin = env.Server.Admin;
        var mine = await StreamServer.RegisterMachineAsync(admin, "box-a", ct);
        var theirs = await StreamServer.RegisterMachineAsync(admin, "box-b", ct);
        using var machine = env.Server.Client(mine.ApiKey);

        await using (var own = await SseTestStream.OpenAsync(machine, $"/api/machines/{mine.Machine.Id}/events", ct))
        {
            Assert.NotNull(own);
        }

        using var refused = await SseTestStream.SendAsync(machine, $"/api/machines/{theirs.Machine.Id}/events", lastEventId: null, ct);
        await AssertErrorAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.Forbidden, ct);

        // The owning user may watch any of its machines.
        await using var byOwner = await SseTestStream.OpenAsync(admin, $"/api/machines/{theirs.Machine.Id}/events", ct);
        Assert.NotNull(byOwner);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Another_owners_resources_and_unknown_ids_are_not_found(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var admin = env.Server.Admin;
        var board = await StreamServer.CreateBoardAsync(admin, "private", ct);
        var task = await StreamServer.CreateTaskAsync(admin, board.Id, "private task", assignedTo: null, ct);
        var machine = await StreamServer.RegisterMachineAsync(admin, "private-box", ct);
        var stranger = await StreamServer.CreateUserAsync(admin, "stranger", ct);
        using var strangerClient = env.Server.Client(stranger.Token);

        foreach (var path in new[]
        {
            $"/api/boards/{board.Id}/events",
            $"/api/tasks/{task.Id}/events",
            $"/api/machines/{machine.Machine.Id}/events",
        })
        {
            using var response = await SseTestStream.SendAsync(strangerClient, path, lastEventId: null, ct);
            await AssertErrorAsync(response, HttpStatusCode.NotFound, ErrorCodes.NotFound, ct);
        }

        using var unknown = await SseTestStream.SendAsync(admin, "/api/tasks/no-such-task/events", lastEventId: null, ct);
        await AssertErrorAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.NotFound, ct);

        // A board is found by its name too.
        await using var byName = await SseTestStream.OpenAsync(admin, "/api/boards/private/events", ct);
        Assert.NotNull(byName);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Bad_cursor_and_missing_token_are_refused_with_a_clear_error(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var board = await StreamServer.CreateBoardAsync(env.Server.Admin, "b", ct);
        var path = $"/api/boards/{board.Id}/events";

        using var badHeader = await SseTestStream.SendAsync(env.Server.Admin, path, lastEventId: "yesterday", ct);
        var error = await AssertErrorAsync(badHeader, HttpStatusCode.BadRequest, ErrorCodes.Validation, ct);
        Assert.Equal("Last-Event-ID", error.Field);

        using var badQuery = await SseTestStream.SendAsync(env.Server.Admin, path + "?since=-1", lastEventId: null, ct);
        Assert.Equal("since", (await AssertErrorAsync(badQuery, HttpStatusCode.BadRequest, ErrorCodes.Validation, ct)).Field);

        using var anonymous = new HttpClient { BaseAddress = env.Server.BaseAddress };
        using var noToken = await SseTestStream.SendAsync(anonymous, path, lastEventId: null, ct);
        await AssertErrorAsync(noToken, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, ct);

        // EventSource cannot set headers: the token may come as ?token=.
        await using var viaQuery = await SseTestStream.OpenAsync(anonymous, path + "?token=" + Uri.EscapeDataString(env.Server.AdminToken), ct);
        Assert.NotNull(viaQuery);
    }

    private static async Task<ErrorBody> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, CancellationToken cancellationToken)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var envelope = JsonSerializer.Deserialize(body, ContractsJsonContext.Default.ErrorEnvelope);
        Assert.NotNull(envelope);
        Assert.Equal(code, envelope.Error.Code);
        return envelope.Error;
    }
}
