using System.Globalization;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>The SSE endpoints on a real server: delivery, resume after a dropped connection, filtering.</summary>
public abstract class EventStreamDeliveryTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task A_change_through_the_api_arrives_as_a_frame()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        await using var stream = await SseTestStream.OpenAsync(user.Client, $"api/boards/{board.Id}/events", Ct);

        var task = await user.CreateTaskAsync(board.Id, title: "first", cancellationToken: Ct);

        var frame = await stream.NextFrameAsync(Ct);
        Assert.Equal("task.created", frame.Type);
        var sent = frame.Event;
        Assert.Equal(frame.Id, sent.Id);
        Assert.Equal("task.created", sent.Type);
        Assert.Equal(task.Id, sent.TaskId);
        Assert.Equal(board.Id, sent.BoardId);
        Assert.Equal("first", sent.Task?.Title);
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_gets_exactly_the_missed_events()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        var path = $"api/tasks/{task.Id}/events";

        var first = await SseTestStream.OpenAsync(user.Client, path, Ct);
        for (var i = 1; i <= 40; i++)
        {
            await StreamApi.PostMessageAsync(user.Client, task.Id, "m" + i, Ct);
        }

        // Read part of the burst, then drop the connection while the rest is still coming.
        var seen = new List<SseFrame>();
        while (seen.Count < 10)
        {
            seen.Add(await NextMessageAsync(first));
        }

        await first.DisposeAsync();
        for (var i = 41; i <= 45; i++)
        {
            await StreamApi.PostMessageAsync(user.Client, task.Id, "m" + i, Ct);
        }

        await using var second = await SseTestStream.OpenAsync(user.Client, path, Ct, lastEventId: seen[^1].Id.ToString(CultureInfo.InvariantCulture));
        var resumed = new List<SseFrame>();
        while (resumed.Count < 35)
        {
            resumed.Add(await NextMessageAsync(second));
        }

        await StreamApi.PostMessageAsync(user.Client, task.Id, "after", Ct);
        var next = await NextMessageAsync(second);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => "m" + i), seen.Select(f => f.Event.Message?.Content));
        Assert.Equal(Enumerable.Range(11, 35).Select(i => "m" + i), resumed.Select(f => f.Event.Message?.Content));
        Assert.Equal("after", next.Event.Message?.Content);
        var ids = seen.Concat(resumed).Append(next).Select(f => f.Id).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task Browser_query_cursor_and_since_zero_replay_from_the_log()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        await StreamApi.PostMessageAsync(user.Client, task.Id, "one", Ct);
        await StreamApi.PostMessageAsync(user.Client, task.Id, "two", Ct);

        await using var all = await SseTestStream.OpenAsync(user.Client, $"api/boards/{board.Id}/events?since=0", Ct);
        var created = await all.NextFrameAsync(Ct);
        var one = await NextMessageAsync(all);
        var two = await NextMessageAsync(all);
        Assert.Equal("task.created", created.Type);
        Assert.Equal(task.Id, created.Event.TaskId);
        Assert.Equal(["one", "two"], new[] { one, two }.Select(f => f.Event.Message?.Content));

        await using var fromQuery = await SseTestStream.OpenAsync(user.Client, $"api/boards/{board.Id}/events?last_event_id={one.Id}", Ct);
        var replayed = await NextMessageAsync(fromQuery);
        Assert.Equal(two.Id, replayed.Id);
        Assert.Equal(two.Data, replayed.Data);
    }

    [Fact]
    public async Task Board_and_task_streams_carry_only_their_own_events()
    {
        var user = await NewUserAsync();
        var watched = await user.CreateBoardAsync(cancellationToken: Ct);
        var other = await user.CreateBoardAsync(cancellationToken: Ct);
        var watchedTask = await user.CreateTaskAsync(watched.Id, cancellationToken: Ct);
        var sibling = await user.CreateTaskAsync(watched.Id, cancellationToken: Ct);
        await using var boardStream = await SseTestStream.OpenAsync(user.Client, $"api/boards/{watched.Id}/events", Ct);
        await using var taskStream = await SseTestStream.OpenAsync(user.Client, $"api/tasks/{watchedTask.Id}/events", Ct);

        // What a stream must not show is committed before the marker. Ids follow commit order, so reading up to the
        // marker proves those events were filtered out, not merely late.
        await user.CreateTaskAsync(other.Id, cancellationToken: Ct);
        await StreamApi.PostMessageAsync(user.Client, sibling.Id, "sibling", Ct);
        await StreamApi.PostMessageAsync(user.Client, watchedTask.Id, "marker", Ct);

        var onBoard = await UntilMarkerAsync(boardStream);
        Assert.All(onBoard, frame => Assert.Equal(watched.Id, frame.Event.BoardId));
        Assert.Equal(["sibling", "marker"], onBoard.Where(f => f.Type == "task.message").Select(f => f.Event.Message?.Content));
        var onTask = await UntilMarkerAsync(taskStream);
        Assert.All(onTask, frame => Assert.Equal(watchedTask.Id, frame.Event.TaskId));
    }

    [Fact]
    public async Task Machine_stream_carries_the_assigned_work_of_its_owner_only()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var stranger = await NewUserAsync();
        var strangerBoard = await stranger.CreateBoardAsync(cancellationToken: Ct);
        var strangerAgent = await stranger.CreateAgentAsync(cancellationToken: Ct);

        await using var stream = await SseTestStream.OpenAsync(machine.Client, $"api/machines/{machine.Id}/events", Ct);
        await user.CreateTaskAsync(board.Id, assignedTo: null, cancellationToken: Ct);
        await stranger.CreateTaskAsync(strangerBoard.Id, strangerAgent.Id, cancellationToken: Ct);
        var assigned = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);

        var frame = await stream.NextFrameAsync(Ct);
        Assert.Equal("task.created", frame.Type);
        Assert.Equal(assigned.Id, frame.Event.TaskId);
        Assert.Equal(agent.Id, frame.Event.Task?.AssignedTo);
    }

    private static async Task<List<SseFrame>> UntilMarkerAsync(SseTestStream stream)
    {
        var frames = new List<SseFrame>();
        while (frames.Count == 0 || frames[^1].Event.Message?.Content != "marker")
        {
            frames.Add(await stream.NextFrameAsync(Ct));
        }

        return frames;
    }

    private static async Task<SseFrame> NextMessageAsync(SseTestStream stream)
    {
        while (true)
        {
            var frame = await stream.NextFrameAsync(Ct);
            if (frame.Type == "task.message")
            {
                return frame;
            }
        }
    }
}

public sealed class EventStreamDeliverySqliteTests(SqliteServerFixture fixture) : EventStreamDeliveryTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class EventStreamDeliveryPostgresTests(PostgresServerFixture fixture) : EventStreamDeliveryTests(fixture), IClassFixture<PostgresServerFixture>;
