namespace AgentKanban.Server.Tests.Streams;

/// <summary>The SSE endpoints on a real server (SQLite and PostgreSQL): delivery, resume, filtering.</summary>
public sealed class EventStreamEndpointTests
{
    public static TheoryData<string> Engines => ["sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_change_through_the_api_arrives_as_a_frame(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var admin = env.Server.Admin;
        var board = await StreamServer.CreateBoardAsync(admin, "live", ct);
        await using var stream = await SseTestStream.OpenAsync(admin, $"/api/boards/{board.Id}/events", ct);

        var task = await StreamServer.CreateTaskAsync(admin, board.Id, "first", assignedTo: null, ct);

        var frame = await stream.NextFrameAsync(ct);
        Assert.Equal("task.created", frame.Type);
        var sent = frame.Event;
        Assert.Equal(frame.Id, sent.Id);
        Assert.Equal("task.created", sent.Type);
        Assert.Equal(task.Id, sent.TaskId);
        Assert.Equal(board.Id, sent.BoardId);
        Assert.Equal("first", sent.Task?.Title);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Reconnecting_with_Last_Event_ID_gets_exactly_the_missed_events(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var admin = env.Server.Admin;
        var board = await StreamServer.CreateBoardAsync(admin, "resume", ct);
        var task = await StreamServer.CreateTaskAsync(admin, board.Id, "chatty", assignedTo: null, ct);
        var path = $"/api/tasks/{task.Id}/events";

        var first = await SseTestStream.OpenAsync(admin, path, ct);
        for (var i = 1; i <= 40; i++)
        {
            await StreamServer.PostMessageAsync(admin, task.Id, "m" + i, ct);
        }

        // Read part of the burst, then drop the connection while the rest is still being sent.
        var seen = new List<SseFrame>();
        while (seen.Count < 10)
        {
            seen.Add(await NextMessageAsync(first, ct));
        }

        await first.DisposeAsync();
        for (var i = 41; i <= 45; i++)
        {
            await StreamServer.PostMessageAsync(admin, task.Id, "m" + i, ct);
        }

        await using var second = await SseTestStream.OpenAsync(admin, path, ct, lastEventId: seen[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var resumed = new List<SseFrame>();
        while (resumed.Count < 35)
        {
            resumed.Add(await NextMessageAsync(second, ct));
        }

        await StreamServer.PostMessageAsync(admin, task.Id, "after", ct);
        var next = await NextMessageAsync(second, ct);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => "m" + i), seen.Select(f => f.Event.Message?.Content));
        Assert.Equal(Enumerable.Range(11, 35).Select(i => "m" + i), resumed.Select(f => f.Event.Message?.Content));
        Assert.Equal("after", next.Event.Message?.Content);
        var ids = seen.Concat(resumed).Append(next).Select(f => f.Id).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Browser_query_cursor_and_since_zero_replay_from_the_log(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var admin = env.Server.Admin;
        var board = await StreamServer.CreateBoardAsync(admin, "history", ct);
        var task = await StreamServer.CreateTaskAsync(admin, board.Id, "t", assignedTo: null, ct);
        await StreamServer.PostMessageAsync(admin, task.Id, "one", ct);
        await StreamServer.PostMessageAsync(admin, task.Id, "two", ct);

        await using var all = await SseTestStream.OpenAsync(admin, $"/api/boards/{board.Id}/events?since=0", ct);
        var created = await all.NextFrameAsync(ct);
        var one = await NextMessageAsync(all, ct);
        var two = await NextMessageAsync(all, ct);
        Assert.Equal("task.created", created.Type);
        Assert.Equal(["one", "two"], new[] { one, two }.Select(f => f.Event.Message?.Content));

        await using var fromQuery = await SseTestStream.OpenAsync(admin, $"/api/boards/{board.Id}/events?last_event_id={one.Id}", ct);
        var replayed = await NextMessageAsync(fromQuery, ct);
        Assert.Equal(two.Id, replayed.Id);
        Assert.Equal(two.Data, replayed.Data);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Board_and_task_streams_carry_only_their_own_events(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var admin = env.Server.Admin;
        var watched = await StreamServer.CreateBoardAsync(admin, "watched", ct);
        var other = await StreamServer.CreateBoardAsync(admin, "other", ct);
        var watchedTask = await StreamServer.CreateTaskAsync(admin, watched.Id, "watched task", assignedTo: null, ct);
        var sibling = await StreamServer.CreateTaskAsync(admin, watched.Id, "sibling", assignedTo: null, ct);
        await using var boardStream = await SseTestStream.OpenAsync(admin, $"/api/boards/{watched.Id}/events", ct);
        await using var taskStream = await SseTestStream.OpenAsync(admin, $"/api/tasks/{watchedTask.Id}/events", ct);

        // Events that neither stream may show are committed first; the marker last. Ids are ordered, so the
        // marker being the first frame proves the earlier events were filtered out, not merely late.
        await StreamServer.CreateTaskAsync(admin, other.Id, "elsewhere", assignedTo: null, ct);
        await StreamServer.PostMessageAsync(admin, sibling.Id, "not for the task stream", ct);
        await StreamServer.PostMessageAsync(admin, watchedTask.Id, "marker", ct);

        var onBoard = await UntilMarkerAsync(boardStream, ct);
        Assert.All(onBoard, frame => Assert.Equal(watched.Id, frame.Event.BoardId));
        Assert.Equal(["not for the task stream", "marker"], onBoard.Where(f => f.Type == "task.message").Select(f => f.Event.Message?.Content));
        var onTask = await UntilMarkerAsync(taskStream, ct);
        Assert.All(onTask, frame => Assert.Equal(watchedTask.Id, frame.Event.TaskId));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Machine_stream_carries_assigned_work_of_its_owner_only(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync(engine, time: null, ct);
        var admin = env.Server.Admin;
        var board = await StreamServer.CreateBoardAsync(admin, "work", ct);
        var agent = await StreamServer.CreateAgentAsync(admin, "worker-1", ct);
        var machine = await StreamServer.RegisterMachineAsync(admin, "box-1", ct);
        using var machineClient = env.Server.Client(machine.ApiKey);

        var stranger = await StreamServer.CreateUserAsync(admin, "stranger", ct);
        using var strangerClient = env.Server.Client(stranger.Token);
        var strangerBoard = await StreamServer.CreateBoardAsync(strangerClient, "theirs", ct);
        var strangerAgent = await StreamServer.CreateAgentAsync(strangerClient, "their-worker", ct);

        await using var stream = await SseTestStream.OpenAsync(machineClient, $"/api/machines/{machine.Machine.Id}/events", ct);
        await StreamServer.CreateTaskAsync(admin, board.Id, "nobody's", assignedTo: null, ct);
        await StreamServer.CreateTaskAsync(strangerClient, strangerBoard.Id, "another owner's", strangerAgent.Id, ct);
        var assigned = await StreamServer.CreateTaskAsync(admin, board.Id, "for the daemon", agent.Id, ct);

        var frame = await stream.NextFrameAsync(ct);
        Assert.Equal("task.created", frame.Type);
        Assert.Equal(assigned.Id, frame.Event.TaskId);
        Assert.Equal(agent.Id, frame.Event.Task?.AssignedTo);
    }

    private static async Task<List<SseFrame>> UntilMarkerAsync(SseTestStream stream, CancellationToken cancellationToken)
    {
        var frames = new List<SseFrame>();
        while (frames.Count == 0 || frames[^1].Event.Message?.Content != "marker")
        {
            frames.Add(await stream.NextFrameAsync(cancellationToken));
        }

        return frames;
    }

    private static async Task<SseFrame> NextMessageAsync(SseTestStream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await stream.NextFrameAsync(cancellationToken);
            if (frame.Type == "task.message")
            {
                return frame;
            }
        }
    }
}
