using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>Who may open which stream, and what a bad request gets.</summary>
public abstract class EventStreamAccessTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task A_machine_opens_its_own_stream_but_not_another_machines()
    {
        var user = await NewUserAsync();
        var mine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var theirs = await user.RegisterMachineAsync(cancellationToken: Ct);

        await using (var own = await SseTestStream.OpenAsync(mine.Client, $"api/machines/{mine.Id}/events", Ct))
        {
            Assert.NotNull(own);
        }

        using var refused = await SseTestStream.SendAsync(mine.Client, $"api/machines/{theirs.Id}/events", lastEventId: null, Ct);
        await refused.ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);

        // The owning user may watch any of its machines.
        await using var byOwner = await SseTestStream.OpenAsync(user.Client, $"api/machines/{theirs.Id}/events", Ct);
        Assert.NotNull(byOwner);
    }

    [Fact]
    public async Task A_session_cannot_open_a_machine_stream_but_can_follow_its_task()
    {
        var user = await NewUserAsync();
        var worker = await user.StartWorkerAsync(Ct);

        using var refused = await SseTestStream.SendAsync(worker.Session.Client, $"api/machines/{worker.Machine.Id}/events", lastEventId: null, Ct);
        await refused.ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);

        await using var taskStream = await SseTestStream.OpenAsync(worker.Session.Client, $"api/tasks/{worker.Task.Id}/events", Ct);
        Assert.NotNull(taskStream);
    }

    [Fact]
    public async Task Another_owners_resources_and_unknown_ids_are_not_found()
    {
        var owner = await NewUserAsync();
        var board = await owner.CreateBoardAsync(cancellationToken: Ct);
        var task = await owner.CreateTaskAsync(board.Id, cancellationToken: Ct);
        var machine = await owner.RegisterMachineAsync(cancellationToken: Ct);
        var stranger = await NewUserAsync();

        foreach (var path in new[] { $"api/boards/{board.Id}/events", $"api/tasks/{task.Id}/events", $"api/machines/{machine.Id}/events" })
        {
            using var response = await SseTestStream.SendAsync(stranger.Client, path, lastEventId: null, Ct);
            await response.ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
        }

        using var unknown = await SseTestStream.SendAsync(owner.Client, "api/tasks/no-such-task/events", lastEventId: null, Ct);
        await unknown.ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);

        // A board is found by its name too.
        await using var byName = await SseTestStream.OpenAsync(owner.Client, $"api/boards/{board.Name}/events", Ct);
        Assert.NotNull(byName);
    }

    [Fact]
    public async Task A_bad_cursor_or_a_missing_token_is_refused_with_a_clear_error()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var path = $"api/boards/{board.Id}/events";

        using var badHeader = await SseTestStream.SendAsync(user.Client, path, lastEventId: "yesterday", Ct);
        await badHeader.ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "Last-Event-ID", Ct);

        using var badQuery = await SseTestStream.SendAsync(user.Client, path + "?since=-1", lastEventId: null, Ct);
        await badQuery.ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "since", Ct);

        var anonymous = Server.CreateClient();
        using var noToken = await SseTestStream.SendAsync(anonymous, path, lastEventId: null, Ct);
        await noToken.ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);

        // EventSource cannot set headers: the token may come as ?token=.
        await using var viaQuery = await SseTestStream.OpenAsync(anonymous, path + "?token=" + Uri.EscapeDataString(user.Token), Ct);
        Assert.NotNull(viaQuery);
    }
}

public sealed class EventStreamAccessSqliteTests(SqliteServerFixture fixture) : EventStreamAccessTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class EventStreamAccessPostgresTests(PostgresServerFixture fixture) : EventStreamAccessTests(fixture), IClassFixture<PostgresServerFixture>;
