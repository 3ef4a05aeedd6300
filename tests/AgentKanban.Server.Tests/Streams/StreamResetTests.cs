using System.Globalization;
using System.Net;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Streams;
using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>
/// A stream that resumes from an id whose successors were pruned (the 30-day retention, the per-session cap of agent
/// events) starts with a <c>reset</c> frame naming the head and goes on live from there, on every stream kind, on the
/// in-memory window path, after a restart or on another instance (the log path); a client whose id is still covered
/// resumes without a reset and without a gap; a replay (<c>?since=</c>) never gets one.
/// </summary>
public abstract class StreamResetTests
{
    protected abstract DatabaseKind Kind { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_the_retention_pruned_what_a_client_missed_its_streams_start_with_a_reset_and_go_on_live()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time }, Ct);
        var old = await OldAndRecentEventsAsync(server, time);

        await using var board = await ResetFrameAsync(old.User.Client, $"api/boards/{old.Board.Id}/events", old.SeenByStaleClient, old);
        await using var machine = await ResetFrameAsync(old.User.Client, $"api/machines/{old.Machine.Id}/events", old.SeenByStaleClient, old);
        await using var task = await ResetFrameAsync(old.User.Client, $"api/tasks/{old.Recent.Id}/events", old.SeenByStaleClient, old);

        // The browser's first-connect form (?last_event_id=) is a resume too.
        await using var byQuery = await SseTestStream.OpenAsync(old.User.Client,
            $"api/boards/{old.Board.Id}/events?last_event_id={old.SeenByStaleClient.ToString(CultureInfo.InvariantCulture)}", Ct);
        AssertReset(await byQuery.NextFrameAsync(Ct), old);

        // A client that saw everything up to the newest pruned id lost nothing: it resumes without a reset or a gap.
        foreach (var path in new[] { $"api/boards/{old.Board.Id}/events", $"api/machines/{old.Machine.Id}/events", $"api/tasks/{old.Recent.Id}/events" })
        {
            await using var stream = await SseTestStream.OpenAsync(old.User.Client, path, Ct, lastEventId: old.PrunedThrough.ToString(CultureInfo.InvariantCulture));
            var first = await stream.NextFrameAsync(Ct);
            Assert.Equal("task.created", first.Type);
            Assert.Equal(old.Recent.Id, first.Event.TaskId);
        }

        // A replay asks for the history that is still there, gaps included: never a reset.
        await using var replay = await SseTestStream.OpenAsync(old.User.Client, $"api/boards/{old.Board.Id}/events?since=0", Ct);
        SseFrame replayed;
        do
        {
            replayed = await replay.NextFrameAsync(Ct);
            Assert.NotEqual(StreamEvents.Reset, replayed.Type);
        }
        while (replayed.Event.TaskId != old.Recent.Id);

        // After the reset each stream goes on live from the head: the next change arrives, nothing before the head.
        var moved = await old.User.Client.PostJsonAsync($"api/tasks/{old.Recent.Id}/cancel", new TransitionRequest(),
            ContractsJsonContext.Default.TransitionRequest, Ct);
        await moved.ExpectAsync(HttpStatusCode.OK, Ct);
        foreach (var stream in new[] { board, machine, task })
        {
            var next = await stream.NextFrameAsync(Ct);
            Assert.True(next.Id > old.Head, $"frame {next.Id} ({next.Type}) is not after the head {old.Head}");
            Assert.Equal(old.Recent.Id, next.Event.TaskId);
        }
    }

    [Fact]
    public async Task The_prune_mark_outlives_a_restart_and_is_shared_by_another_instance()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        var dataDir = Path.Combine(Path.GetTempPath(), "ak-reset-" + Guid.NewGuid().ToString("N")[..12]);
        TestServer? first = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time, DataDir = dataDir }, Ct);
        TestServer? second = null;
        try
        {
            var old = await OldAndRecentEventsAsync(first, time);
            if (Kind == DatabaseKind.Postgres)
            {
                second = await first.StartAnotherInstanceAsync(Ct);
            }
            else
            {
                await first.DisposeAsync();
                first = null;
                second = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time, DataDir = dataDir }, Ct);
            }

            // The new instance's in-memory window starts at the head: this resume is served from the log, and only the
            // mark in the database can tell that events after the client's id are gone.
            var client = second.CreateClient(old.User.Token);
            await using var stream = await SseTestStream.OpenAsync(client, $"api/boards/{old.Board.Id}/events", Ct,
                lastEventId: old.SeenByStaleClient.ToString(CultureInfo.InvariantCulture));
            AssertReset(await stream.NextFrameAsync(Ct), old);
            Assert.Equal(old.Head, await StreamTestStore.LatestAsync(second.Storage, Ct));
        }
        finally
        {
            if (second is not null)
            {
                await second.DisposeAsync();
            }

            // Last: on PostgreSQL the first instance owns (and drops) the database.
            if (first is not null)
            {
                await first.DisposeAsync();
            }

            TestServer.DeleteDirectory(dataDir);
        }
    }

    [Fact]
    public async Task The_agent_event_cap_resets_a_task_stream_that_missed_pruned_events_and_only_that_stream()
    {
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { AgentEventsPerSession = 5 }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        await PostAgentEventsAsync(work, 1, 3);
        var seenByStaleClient = await StreamTestStore.LatestAsync(server.Storage, Ct);
        await PostAgentEventsAsync(work, 4, 5);
        var seenByRecentClient = await StreamTestStore.LatestAsync(server.Storage, Ct);

        // Five more: the cap drops seqs 1–5, among them 4 and 5, which the stale client never saw.
        await PostAgentEventsAsync(work, 6, 10);
        var head = await StreamTestStore.LatestAsync(server.Storage, Ct);

        var taskPath = $"api/tasks/{work.Task.Id}/events";
        await using var stale = await SseTestStream.OpenAsync(user.Client, taskPath, Ct, lastEventId: seenByStaleClient.ToString(CultureInfo.InvariantCulture));
        var reset = await stale.NextFrameAsync(Ct);
        Assert.Equal(StreamEvents.Reset, reset.Type);
        Assert.Equal(head, reset.Id);
        Assert.Equal(seenByRecentClient, PrunedThrough(reset));

        // Seq 5 was the last the recent client saw: it resumes with 6–10, no reset.
        await using var recent = await SseTestStream.OpenAsync(user.Client, taskPath, Ct, lastEventId: seenByRecentClient.ToString(CultureInfo.InvariantCulture));
        var resumed = new List<long>();
        while (resumed.Count < 5)
        {
            var frame = await recent.NextFrameAsync(Ct);
            Assert.Equal("agent.event", frame.Type);
            resumed.Add(frame.Event.AgentEvent!.Seq);
        }

        Assert.Equal([6L, 7, 8, 9, 10], resumed);

        // Agent events never reach the board stream, so their pruning leaves it alone: it resumes normally.
        await StreamApi.PostMessageAsync(user.Client, work.Task.Id, "marker", Ct);
        await using var board = await SseTestStream.OpenAsync(user.Client, $"api/boards/{work.Board.Id}/events", Ct,
            lastEventId: seenByStaleClient.ToString(CultureInfo.InvariantCulture));
        var onBoard = await board.NextFrameAsync(Ct);
        Assert.NotEqual(StreamEvents.Reset, onBoard.Type);
        Assert.True(onBoard.Id > head);
    }

    [Fact]
    public async Task A_pruning_between_the_open_and_the_catch_up_read_ends_in_a_reset_not_a_gap()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        var pruneAfterOpen = new PruneAfterOpen();
        // A short retention, so the clock moves minutes, not a month: FakeTimeProvider runs every periodic timer once per
        // period it skips, inline in this request (a month is half a million lease-sweeper ticks), which under load
        // outlasted the client's timeout.
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions
        {
            Time = time,
            EventRetention = TimeSpan.FromMinutes(1),
            ConfigureServices = services => services.AddSingleton<IEventLog>(sp =>
                pruneAfterOpen.Wrap(new DbEventLog(sp.GetRequiredService<EventStreamDatabase>().OpenConnection), sp)),
        }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        var seen = await StreamTestStore.LatestAsync(server.Storage, Ct);
        await StreamApi.PostMessageAsync(user.Client, task.Id, "missed", Ct);
        var prunedThrough = await StreamTestStore.LatestAsync(server.Storage, Ct);

        // Nothing is pruned when the stream opens, so it starts without a reset; the retention then runs before the
        // task stream (which starts in the past, so from the log) reads what follows the client's id. That read sees
        // the pruning in the same snapshot as its rows.
        pruneAfterOpen.Arm(() => time.Advance(TimeSpan.FromMinutes(2)));
        await using var stream = await SseTestStream.OpenAsync(user.Client, $"api/tasks/{task.Id}/events", Ct, lastEventId: seen.ToString(CultureInfo.InvariantCulture));
        var first = await stream.NextFrameAsync(Ct);

        Assert.True(pruneAfterOpen.Ran);
        Assert.Equal(StreamEvents.Reset, first.Type);
        Assert.Equal(prunedThrough, first.Id);
        Assert.Equal(prunedThrough, PrunedThrough(first));
        await StreamApi.PostMessageAsync(user.Client, task.Id, "live", Ct);
        var next = await stream.NextFrameAsync(Ct);
        Assert.True(next.Id > prunedThrough);
    }

    /// <summary>
    /// Task A's creation and update (seen by nobody but a client that stopped after the creation), then 31 days later
    /// task B; the retention prunes everything before B.
    /// </summary>
    private static async Task<OldEvents> OldAndRecentEventsAsync(TestServer server, FakeTimeProvider time)
    {
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var gone = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var seen = await StreamTestStore.LatestAsync(server.Storage, Ct);
        var update = await user.Client.PatchJsonAsync($"api/tasks/{gone.Id}", new UpdateTaskRequest { Title = "renamed while nobody looked" },
            ContractsJsonContext.Default.UpdateTaskRequest, Ct);
        await update.ExpectAsync(HttpStatusCode.OK, Ct);
        var prunedThrough = await StreamTestStore.LatestAsync(server.Storage, Ct);

        time.Advance(TimeSpan.FromDays(31));
        var recent = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var head = await StreamTestStore.LatestAsync(server.Storage, Ct);

        // The hourly pass may already have run on the moved clock; running it again is harmless.
        await server.Services.GetRequiredService<EventRetention>().PruneOnceAsync(Ct);
        return new OldEvents(user, board, machine.Machine, recent, seen, prunedThrough, head);
    }

    private static async Task<SseTestStream> ResetFrameAsync(HttpClient client, string path, long lastEventId, OldEvents old)
    {
        var stream = await SseTestStream.OpenAsync(client, path, Ct, lastEventId: lastEventId.ToString(CultureInfo.InvariantCulture));
        AssertReset(await stream.NextFrameAsync(Ct), old);
        return stream;
    }

    private static void AssertReset(SseFrame frame, OldEvents old)
    {
        Assert.Equal(StreamEvents.Reset, frame.Type);
        Assert.Equal(old.Head, frame.Id);
        Assert.Equal(old.Head, frame.Event.Id);
        Assert.Equal(old.PrunedThrough, PrunedThrough(frame));
    }

    private static long PrunedThrough(SseFrame frame)
    {
        using var data = JsonDocument.Parse(frame.Data);
        return data.RootElement.GetProperty("pruned_through").GetInt64();
    }

    private static async Task PostAgentEventsAsync(WorkerSetup work, int from, int to)
    {
        var events = Enumerable.Range(from, to - from + 1).Select(seq => new AgentEventDto
        {
            Seq = seq,
            Kind = AgentEventKinds.Text,
            At = new DateTimeOffset(2030, 1, 1, 8, 0, seq, TimeSpan.Zero),
            Data = JsonSerializer.SerializeToElement(new AgentTextData("e" + seq), ContractsJsonContext.Default.AgentTextData),
        }).ToList();
        var response = await work.Session.Client.PostJsonAsync($"api/sessions/{work.Session.Id}/events", new AgentEventBatchRequest { Events = events },
            ContractsJsonContext.Default.AgentEventBatchRequest, Ct);
        await response.ExpectAsync(HttpStatusCode.OK, Ct);
    }

    /// <summary>
    /// Wraps the server's event log so that, once armed, the next stream to open finds the log as it was and then, before
    /// it reads anything, the retention runs (after <c>Arm</c>'s clock move): a pruning that races the stream's catch-up.
    /// </summary>
    private sealed class PruneAfterOpen
    {
        private Action? _armed;

        public bool Ran { get; private set; }

        public void Arm(Action moveClock) => _armed = moveClock;

        public IEventLog Wrap(IEventLog inner, IServiceProvider services) => new Log(inner, this, services);

        private sealed class Log(IEventLog inner, PruneAfterOpen owner, IServiceProvider services) : IEventLog
        {
            public Task<long> GetLatestIdAsync(CancellationToken cancellationToken) => inner.GetLatestIdAsync(cancellationToken);

            public async Task<LogPosition> GetPositionAsync(StreamScope? scope, CancellationToken cancellationToken)
            {
                var position = await inner.GetPositionAsync(scope, cancellationToken);
                if (Interlocked.Exchange(ref owner._armed, null) is { } moveClock)
                {
                    // The hourly pass may run on the moved clock too; either way the pruning is committed after this call.
                    moveClock();
                    await services.GetRequiredService<EventRetention>().PruneOnceAsync(cancellationToken);
                    owner.Ran = true;
                }

                return position;
            }

            public Task<IReadOnlyList<StoredEvent>> ReadAsync(long afterId, long? upToId, StreamScope? scope, int limit, CancellationToken cancellationToken) =>
                inner.ReadAsync(afterId, upToId, scope, limit, cancellationToken);

            public Task<CatchUpBatch> ReadCatchUpAsync(long afterId, long upToId, StreamScope scope, int limit, CancellationToken cancellationToken) =>
                inner.ReadCatchUpAsync(afterId, upToId, scope, limit, cancellationToken);
        }
    }

    private sealed record OldEvents(TestUser User, BoardDto Board, MachineDto Machine, TaskDto Recent, long SeenByStaleClient, long PrunedThrough, long Head);
}

public sealed class StreamResetSqliteTests : StreamResetTests
{
    protected override DatabaseKind Kind => DatabaseKind.Sqlite;
}

public sealed class StreamResetPostgresTests : StreamResetTests
{
    protected override DatabaseKind Kind => DatabaseKind.Postgres;
}
