using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Server.Leases;
using AgentKanban.Server.Streams;
using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Server.Tests.Leases;

/// <summary>Time-driven behaviour (lease expiry, offline machines, token lifetime) with the server's clock in the test's hands.</summary>
public abstract class LeaseExpiryTests
{
    internal static readonly TimeSpan LeaseTtl = TimeSpan.FromMinutes(2);

    protected abstract DatabaseKind Kind { get; }

    internal static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_expired_lease_returns_an_in_progress_task_to_todo_with_lease_expired()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time, LeaseTtl = LeaseTtl }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        var claimed = await (await Transition(work.Session.Client, work.Task.Id, "claim")).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);

        // The sweeper's own timer fires as the clock moves past the lease's end.
        await AdvancePassByPassAsync(time, server, LeaseTtl + TimeSpan.FromSeconds(6));
        var expired = await WaitForAsync(user, work.Task.Id, t => t.Status == "todo");

        Assert.Null(expired.Lease);
        Assert.Null(expired.ActiveSessionId);
        Assert.Equal(claimed.Epoch + 1, expired.Epoch);
        var entry = Assert.Single(expired.Activity!, a => a.Action == LeaseSweeper.ExpiredAction);
        Assert.Equal("system", entry.ActorType);
        Assert.Contains(work.Machine.Id, entry.Detail, StringComparison.Ordinal);

        // The session that ran under the old lease is fenced off; a new lease starts a new epoch.
        await (await Transition(work.Session.Client, work.Task.Id, "review")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        var next = await work.Machine.LeaseAsync(work.Task.Id, Ct);
        Assert.Equal(expired.Epoch + 1, next.Epoch);
    }

    [Fact]
    public async Task An_expired_lease_on_a_todo_task_is_cleared_and_the_epoch_bumped()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time, LeaseTtl = LeaseTtl }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var holder = await user.RegisterMachineAsync(cancellationToken: Ct);
        var other = await user.RegisterMachineAsync(cancellationToken: Ct);
        var lease = await holder.LeaseAsync(task.Id, Ct);
        await (await other.Client.PostAsync($"api/tasks/{task.Id}/lease", null, Ct)).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.LeaseHeld, cancellationToken: Ct);

        await AdvancePassByPassAsync(time, server, LeaseTtl + TimeSpan.FromSeconds(1));
        var sweeper = server.Services.GetRequiredService<LeaseSweeper>();
        await sweeper.SweepOnceAsync(Ct);
        var after = await user.GetTaskAsync(task.Id, Ct);
        Assert.Equal(("todo", lease.Epoch + 1), (after.Status, after.Epoch));
        Assert.Null(after.Lease);
        Assert.DoesNotContain(after.Activity!, a => a.Action == LeaseSweeper.ExpiredAction);
        Assert.Equal(lease.Epoch + 2, (await other.LeaseAsync(task.Id, Ct)).Epoch);
    }

    /// <summary>
    /// Moves the clock the way real time passes for the sweeper: a quarter lease at a time (at least
    /// <paramref name="total"/>, rounded up to whole steps), each step followed by the timer pass it triggers. (One jump of more than half a lease is a server that stood still, which earns every lease
    /// its grace — see <see cref="Server_that_stood_still_for_half_a_lease_gives_every_lease_its_grace"/>.)
    /// </summary>
    internal static async Task AdvancePassByPassAsync(FakeTimeProvider time, TestServer server, TimeSpan total)
    {
        var step = LeaseTtl / 4;
        for (var moved = TimeSpan.Zero; moved < total; moved += step)
        {
            await AdvanceOnePassAsync(time, server, step);
        }
    }

    /// <summary>Moves the clock and waits until the sweeper's pass at the new reading has finished.</summary>
    internal static async Task AdvanceOnePassAsync(FakeTimeProvider time, TestServer server, TimeSpan by)
    {
        var sweeper = server.Services.GetRequiredService<LeaseSweeper>();
        time.Advance(by);
        var now = time.GetUtcNow();
        await UntilAsync(() => sweeper.LastPassAt >= now);
    }

    internal static async Task UntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, timeout.Token);
        }
    }

    [Fact]
    public async Task Server_that_stood_still_for_half_a_lease_gives_every_lease_its_grace()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time, LeaseTtl = LeaseTtl }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        await (await Transition(work.Session.Client, work.Task.Id, "claim")).ExpectAsync(HttpStatusCode.OK, Ct);

        // The whole server (a laptop running `ak up`, say) was suspended past the lease's end: no heartbeat could be
        // taken meanwhile, so the first pass after it grants a full lease instead of taking the task back.
        await AdvanceOnePassAsync(time, server, LeaseTtl + TimeSpan.FromSeconds(30));
        var kept = await user.GetTaskAsync(work.Task.Id, Ct);
        Assert.Equal("in_progress", kept.Status);
        Assert.Equal(time.GetUtcNow() + LeaseTtl, kept.Lease!.ExpiresAt);

        // A machine that does not come back loses it one lease later, as usual.
        await AdvancePassByPassAsync(time, server, LeaseTtl + TimeSpan.FromSeconds(6));
        var expired = await WaitForAsync(user, work.Task.Id, t => t.Status == "todo");
        Assert.Contains(expired.Activity!, a => a.Action == LeaseSweeper.ExpiredAction);
    }

    [Fact]
    public async Task A_heartbeat_renews_an_expired_lease_nobody_took_and_lists_every_lease_it_holds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time, LeaseTtl = LeaseTtl }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        await (await Transition(work.Session.Client, work.Task.Id, "claim")).ExpectAsync(HttpStatusCode.OK, Ct);
        await (await Transition(work.Session.Client, work.Task.Id, "review")).ExpectAsync(HttpStatusCode.OK, Ct);
        var todo = await user.CreateTaskAsync(work.Board.Id, work.Agent.Id, cancellationToken: Ct);
        var todoLease = await work.Machine.LeaseAsync(todo.Id, Ct);
        Assert.Equal((long)LeaseTtl.TotalMilliseconds, todoLease.TtlMs);

        // In review, the lease outlives its expiry (the review may take days): the machine's next heartbeat renews it,
        // so a rejection goes back to the machine that holds the worktree and the conversation.
        time.Advance(LeaseTtl * 3);
        var answer = await work.Machine.HeartbeatAnswerAsync(cancellationToken: Ct);
        Assert.Equal((long)LeaseTtl.TotalMilliseconds, answer.LeaseTtlMs);
        Assert.Equal(time.GetUtcNow(), answer.ServerTime);
        var inReview = Assert.Single(answer.Leases, l => l.TaskId == work.Task.Id);
        Assert.Equal(("in_review", time.GetUtcNow() + LeaseTtl, work.Session.Id), (inReview.Status, inReview.ExpiresAt, inReview.ActiveSessionId));
        var leased = Assert.Single(answer.Leases, l => l.TaskId == todo.Id);
        Assert.Equal(("todo", todoLease.Epoch), (leased.Status, leased.Epoch));

        var rejected = await (await Transition(user.Client, work.Task.Id, "reject")).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal("in_progress", rejected.Status);
        await server.Services.GetRequiredService<LeaseSweeper>().SweepOnceAsync(Ct);
        Assert.Equal("in_progress", (await user.GetTaskAsync(work.Task.Id, Ct)).Status);
    }

    [Fact]
    public async Task Heartbeats_keep_a_lease_alive()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time, LeaseTtl = LeaseTtl }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        await (await Transition(work.Session.Client, work.Task.Id, "claim")).ExpectAsync(HttpStatusCode.OK, Ct);
        var sweeper = server.Services.GetRequiredService<LeaseSweeper>();

        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(90));
            await work.Machine.HeartbeatAsync(cancellationToken: Ct);
            await sweeper.SweepOnceAsync(Ct);
        }

        var task = await user.GetTaskAsync(work.Task.Id, Ct);
        Assert.Equal("in_progress", task.Status);
        Assert.Equal(time.GetUtcNow() + LeaseTtl, task.Lease!.ExpiresAt);
        await (await Transition(work.Session.Client, work.Task.Id, "review")).ExpectAsync(HttpStatusCode.OK, Ct);
    }

    [Fact]
    public async Task After_an_outage_leases_last_until_their_machines_could_heartbeat_again()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        var dataDir = Path.Combine(Path.GetTempPath(), "ak-outage-" + Guid.NewGuid().ToString("N")[..12]);
        var connection = Kind == DatabaseKind.Postgres ? await TestPostgres.CreateDatabaseAsync(Ct) : null;
        try
        {
            TestUser user;
            WorkerSetup work;
            TaskDto abandoned;
            string adminToken;
            await using (var before = await TestServer.StartAsync(Kind, Options(time, dataDir, connection), Ct))
            {
                user = await before.CreateUserAsync(cancellationToken: Ct);
                work = await user.StartWorkerAsync(Ct);
                await (await Transition(work.Session.Client, work.Task.Id, "claim")).ExpectAsync(HttpStatusCode.OK, Ct);
                abandoned = await user.CreateTaskAsync(work.Board.Id, work.Agent.Id, cancellationToken: Ct);
                await (await user.RegisterMachineAsync(cancellationToken: Ct)).LeaseAsync(abandoned.Id, Ct);
                adminToken = before.AdminToken;
            }

            // The server stays down for three lease lifetimes: every lease looks expired when it comes back.
            time.Advance(3 * LeaseTtl);
            await using var after = await TestServer.StartAsync(Kind, Options(time, dataDir, connection) with { AdminToken = adminToken }, Ct);
            var sweeper = after.Services.GetRequiredService<LeaseSweeper>();
            Assert.Equal((0, 0), await sweeper.SweepOnceAsync(Ct));

            // The live machine heartbeats within the grace and keeps its lease past the grace; its agent carries on.
            var machine = after.CreateClient(work.Machine.ApiKey);
            await AdvancePassByPassAsync(time, after, LeaseTtl / 2);
            await (await machine.PostJsonAsync($"api/machines/{work.Machine.Id}/heartbeat", new HeartbeatRequest(),
                ContractsJsonContext.Default.HeartbeatRequest, Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
            await AdvancePassByPassAsync(time, after, LeaseTtl / 2 + TimeSpan.FromSeconds(1));

            // The machine that never came back loses its lease once the grace is over (the background sweeper may
            // have got there first on the moved clock; sweeping again is harmless).
            await sweeper.SweepOnceAsync(Ct);
            var owner = after.CreateClient(user.Token);
            var kept = await (await owner.GetAsync($"api/tasks/{work.Task.Id}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
            Assert.Equal("in_progress", kept.Status);
            Assert.NotNull(kept.Lease);
            var cleared = await (await owner.GetAsync($"api/tasks/{abandoned.Id}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
            Assert.Null(cleared.Lease);
            var session = after.CreateSessionClient(work.Session.Id, work.Session.PrivateKey);
            await (await Transition(session, work.Task.Id, "review")).ExpectAsync(HttpStatusCode.OK, Ct);
        }
        finally
        {
            if (connection is not null)
            {
                await TestPostgres.DropDatabaseAsync(connection);
            }

            TestServer.DeleteDirectory(dataDir);
        }
    }

    [Fact]
    public async Task Stream_events_older_than_the_retention_are_pruned_and_newer_ones_kept()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var old = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromHours(2));
        var recent = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);

        // The hourly pass may already have run on the moved clock; running it again is harmless.
        await server.Services.GetRequiredService<EventRetention>().PruneOnceAsync(Ct);

        var tasksWithEvents = await server.Storage.ReadAsync(async (db, ct) =>
        {
            await using var command = db.Command("SELECT DISTINCT task_id FROM events WHERE task_id IS NOT NULL");
            await using var reader = await command.ExecuteReaderAsync(ct);
            var ids = new List<string>();
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }, Ct);
        Assert.Equal([recent.Id], tasksWithEvents);
        // The task itself and its activity are untouched.
        Assert.Equal(old.Title, (await user.GetTaskAsync(old.Id, Ct)).Title);
    }

    [Fact]
    public async Task A_machine_is_offline_after_sixty_seconds_without_a_heartbeat()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        Assert.Equal("online", machine.Machine.Status);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("online", (await Get(user, machine.Id)).Status);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("offline", (await Get(user, machine.Id)).Status);
        Assert.Equal("online", (await machine.HeartbeatAsync(cancellationToken: Ct)).Status);
    }

    [Fact]
    public async Task A_session_token_is_refused_once_its_minute_is_over()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        var token = SessionToken.Create(work.Session.Id, server.BaseUrl, work.Session.PrivateKey, time.GetUtcNow());
        var client = server.CreateClient(token);
        await (await client.GetAsync("api/whoami", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
        time.Advance(SessionToken.Lifetime + SessionToken.ClockSkew + TimeSpan.FromSeconds(1));
        var error = await (await client.GetAsync("api/whoami", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, cancellationToken: Ct);
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stored_idempotent_answers_are_forgotten_after_a_day()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = time }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        async Task<HttpResponseMessage> CreateBoard(string name)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/boards") { Content = HttpJson.Json(new CreateBoardRequest(name, "ops"), ContractsJsonContext.Default.CreateBoardRequest) };
            request.Headers.Add("Idempotency-Key", "daily");
            return await user.Client.SendAsync(request, Ct);
        }

        await (await CreateBoard("first")).ExpectAsync(HttpStatusCode.Created, Ct);
        var cleanup = server.Services.GetRequiredService<AgentKanban.Server.Http.IdempotencyKeyCleanup>();
        time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0, await cleanup.CleanOnceAsync(Ct));
        Assert.True((await CreateBoard("second")).Headers.Contains("Idempotent-Replayed"));
        time.Advance(TimeSpan.FromHours(2));
        // The hourly cleanup may already have run on the moved clock; running it again is harmless.
        await cleanup.CleanOnceAsync(Ct);
        var fresh = await CreateBoard("second");
        Assert.Equal("second", (await fresh.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, Ct)).Name);
    }

    private static TestServerOptions Options(TimeProvider time, string dataDir, string? connection) =>
        new() { Time = time, LeaseTtl = LeaseTtl, DataDir = dataDir, ConnectionString = connection };

    internal static Task<HttpResponseMessage> Transition(HttpClient client, string taskId, string verb) =>
        client.PostJsonAsync($"api/tasks/{taskId}/{verb}", new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest, Ct);

    private static async Task<MachineDto> Get(TestUser user, string machineId) =>
        await (await user.Client.GetAsync($"api/machines/{machineId}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.MachineDto, Ct);

    /// <summary>Polls (real time, bounded) until the background sweeper has acted.</summary>
    private static async Task<TaskDto> WaitForAsync(TestUser user, string taskId, Func<TaskDto, bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var task = await user.GetTaskAsync(taskId, timeout.Token);
            if (condition(task))
            {
                return task;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, timeout.Token);
        }
    }
}

public sealed class LeaseExpirySqliteTests : LeaseExpiryTests
{
    protected override DatabaseKind Kind => DatabaseKind.Sqlite;
}

public sealed class LeaseExpiryPostgresTests : LeaseExpiryTests
{
    protected override DatabaseKind Kind => DatabaseKind.Postgres;
}
