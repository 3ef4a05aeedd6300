using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

public abstract class LeasesAndSessionsTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task A_lease_bumps_the_epoch_and_the_holder_re_leasing_only_extends_it()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);

        var first = await machine.LeaseAsync(task.Id, Ct);
        Assert.Equal(task.Epoch + 1, first.Epoch);
        Assert.Equal(machine.Id, first.MachineId);
        Assert.True(first.ExpiresAt > DateTimeOffset.UnixEpoch);

        var again = await machine.LeaseAsync(task.Id, Ct);
        Assert.Equal(first.Epoch, again.Epoch);
        Assert.True(again.ExpiresAt >= first.ExpiresAt);

        var read = await user.GetTaskAsync(task.Id, Ct);
        Assert.Equal(new TaskLeaseDto(machine.Id, first.Epoch, again.ExpiresAt), read.Lease);
    }

    [Fact]
    public async Task Another_machine_cannot_lease_a_held_task()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var holder = await user.RegisterMachineAsync(cancellationToken: Ct);
        var other = await user.RegisterMachineAsync(cancellationToken: Ct);
        await holder.LeaseAsync(task.Id, Ct);

        var error = await (await other.Client.PostAsync($"api/tasks/{task.Id}/lease", null, Ct)).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.LeaseHeld, cancellationToken: Ct);
        Assert.Contains(holder.Id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_todo_assigned_unblocked_due_tasks_can_be_leased()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);

        var unassigned = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        var error = await (await machine.Client.PostAsync($"api/tasks/{unassigned.Id}/lease", null, Ct)).ReadErrorAsync(HttpStatusCode.Conflict, cancellationToken: Ct);
        Assert.Contains("not assigned", error.Message, StringComparison.Ordinal);

        var prerequisite = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        var blocked = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "blocked", AssignedTo = agent.Id, DependsOn = [prerequisite.Id] }, Ct);
        Assert.True(blocked.Blocked);
        error = await (await machine.Client.PostAsync($"api/tasks/{blocked.Id}/lease", null, Ct)).ReadErrorAsync(HttpStatusCode.Conflict, cancellationToken: Ct);
        Assert.Contains("blocked", error.Message, StringComparison.Ordinal);

        var later = await user.CreateTaskAsync(new CreateTaskRequest
        {
            BoardId = board.Id, Title = "later", AssignedTo = agent.Id, ScheduledAt = Server.Time.GetUtcNow().AddHours(2),
        }, Ct);
        error = await (await machine.Client.PostAsync($"api/tasks/{later.Id}/lease", null, Ct)).ReadErrorAsync(HttpStatusCode.Conflict, cancellationToken: Ct);
        Assert.Contains("scheduled", error.Message, StringComparison.Ordinal);

        // Cancelling the prerequisite unblocks the dependent task.
        await TransitionOkAsync(user.Client, prerequisite.Id, "cancel");
        Assert.False((await user.GetTaskAsync(blocked.Id, Ct)).Blocked);
        await machine.LeaseAsync(blocked.Id, Ct);

        // Users and sessions do not lease.
        await (await user.Client.PostAsync($"api/tasks/{later.Id}/lease", null, Ct)).ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
    }

    [Fact]
    public async Task A_machine_gives_a_lease_back_and_the_epoch_moves_on()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var other = await user.RegisterMachineAsync(cancellationToken: Ct);
        var lease = await machine.LeaseAsync(task.Id, Ct);

        await (await other.Client.DeleteAsync($"api/tasks/{task.Id}/lease", Ct)).ReadErrorAsync(HttpStatusCode.Conflict, cancellationToken: Ct);
        var returned = await (await machine.Client.DeleteAsync($"api/tasks/{task.Id}/lease", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Null(returned.Lease);
        Assert.Equal(lease.Epoch + 1, returned.Epoch);

        var next = await other.LeaseAsync(task.Id, Ct);
        Assert.Equal(lease.Epoch + 2, next.Epoch);
    }

    [Fact]
    public async Task A_late_lease_return_for_an_earlier_epoch_does_not_end_the_newer_lease()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var first = await machine.LeaseAsync(task.Id, Ct);
        await (await machine.Client.DeleteAsync($"api/tasks/{task.Id}/lease?epoch={first.Epoch}", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
        var second = await machine.LeaseAsync(task.Id, Ct);

        // The first return, delivered again (a retry after a lost answer), must not end the second lease.
        var refused = await (await machine.Client.DeleteAsync($"api/tasks/{task.Id}/lease?epoch={first.Epoch}", Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        Assert.Contains($"epoch {second.Epoch}", refused.Message, StringComparison.Ordinal);
        var still = await user.GetTaskAsync(task.Id, Ct);
        Assert.Equal((machine.Id, second.Epoch), (still.Lease?.MachineId, still.Epoch));

        await (await machine.Client.DeleteAsync($"api/tasks/{task.Id}/lease?epoch=x", Ct)).ReadErrorAsync(HttpStatusCode.BadRequest, cancellationToken: Ct);
        await (await machine.Client.DeleteAsync($"api/tasks/{task.Id}/lease?epoch={second.Epoch}", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
    }

    [Fact]
    public async Task A_session_needs_the_machines_lease_at_that_epoch()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var other = await user.RegisterMachineAsync(cancellationToken: Ct);
        var (_, publicKey) = SessionToken.GenerateKeyPair();

        Task<HttpResponseMessage> Open(TestMachine m, long? epoch) => m.Client.PostJsonAsync("api/sessions",
            new OpenSessionRequest { AgentId = agent.Id, TaskId = task.Id, Epoch = epoch, PublicKey = publicKey },
            ContractsJsonContext.Default.OpenSessionRequest, Ct);

        await (await Open(machine, task.Epoch)).ReadErrorAsync(HttpStatusCode.Conflict, cancellationToken: Ct);
        var lease = await machine.LeaseAsync(task.Id, Ct);
        await (await Open(other, lease.Epoch)).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.LeaseHeld, cancellationToken: Ct);
        await (await Open(machine, lease.Epoch - 1)).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        await (await Open(machine, null)).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "epoch", Ct);
        var session = await (await Open(machine, lease.Epoch)).ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.SessionDto, Ct);
        Assert.Equal((agent.Id, machine.Id, task.Id, "active", lease.Epoch), (session.AgentId, session.MachineId, session.TaskId, session.Status, session.Epoch));
    }

    [Fact]
    public async Task Closing_a_session_revokes_its_tokens_and_reopening_restores_them()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await (await work.Session.Client.GetAsync("api/whoami", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);

        var closed = await (await work.Machine.Client.PostAsync($"api/sessions/{work.Session.Id}/close", null, Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.SessionDto, Ct);
        Assert.Equal("closed", closed.Status);
        Assert.NotNull(closed.ClosedAt);
        // Closing twice is fine.
        await (await work.Machine.Client.PostAsync($"api/sessions/{work.Session.Id}/close", null, Ct)).ExpectAsync(HttpStatusCode.OK, Ct);

        var error = await (await TransitionAsync(work.Session.Client, work.Task.Id, "claim")).ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
        Assert.Contains("closed", error.Message, StringComparison.Ordinal);
        Assert.Equal("todo", (await user.GetTaskAsync(work.Task.Id, Ct)).Status);

        var reopened = await (await work.Machine.Client.PostAsync($"api/sessions/{work.Session.Id}/reopen", null, Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.SessionDto, Ct);
        Assert.Equal("active", reopened.Status);
        Assert.Null(reopened.ClosedAt);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
    }

    [Fact]
    public async Task Usage_counters_add_up_from_the_machine_and_the_session()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var usage = new SessionUsageRequest { InputTokens = 100, OutputTokens = 20, CacheReadTokens = 5, CacheCreationTokens = 2, CostMicroUsd = 1500 };
        await (await work.Machine.Client.PostJsonAsync($"api/sessions/{work.Session.Id}/usage", usage, ContractsJsonContext.Default.SessionUsageRequest, Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
        var total = await (await work.Session.Client.PostJsonAsync($"api/sessions/{work.Session.Id}/usage", usage, ContractsJsonContext.Default.SessionUsageRequest, Ct))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.SessionDto, Ct);
        Assert.Equal((200L, 40L, 10L, 4L, 3000L), (total.InputTokens, total.OutputTokens, total.CacheReadTokens, total.CacheCreationTokens, total.CostMicroUsd));

        await (await work.Machine.Client.PostJsonAsync($"api/sessions/{work.Session.Id}/usage", usage with { InputTokens = -1 }, ContractsJsonContext.Default.SessionUsageRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "input_tokens", Ct);
        await (await user.Client.PostJsonAsync($"api/sessions/{work.Session.Id}/usage", usage, ContractsJsonContext.Default.SessionUsageRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
    }

    [Fact]
    public async Task Sessions_are_listed_and_filtered()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var leaderAgent = await user.CreateAgentAsync(kind: "leader", cancellationToken: Ct);
        var leader = await work.Machine.OpenSessionAsync(leaderAgent.Id, null, null, Ct);
        Assert.Null(leader.Session.TaskId);

        var all = await (await user.Client.GetAsync("api/sessions", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListSessionDto, Ct);
        Assert.Equal(2, all.Count);
        var byTask = await (await user.Client.GetAsync($"api/sessions?task_id={work.Task.Id}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListSessionDto, Ct);
        Assert.Equal(work.Session.Id, Assert.Single(byTask).Id);
        var byAgent = await (await user.Client.GetAsync($"api/sessions?agent_id={leaderAgent.Username}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListSessionDto, Ct);
        Assert.Equal(leader.Id, Assert.Single(byAgent).Id);
        var got = await (await work.Session.Client.GetAsync($"api/sessions/{leader.Id}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.SessionDto, Ct);
        Assert.Equal(leaderAgent.Id, got.AgentId);
        await (await user.Client.GetAsync("api/sessions?status=bogus", Ct)).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "status", Ct);

        var whoami = await (await leader.Client.GetAsync("api/whoami", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.WhoAmIDto, Ct);
        Assert.Equal("leader", whoami.Kind);
    }

    [Fact]
    public async Task Heartbeats_extend_the_machines_leases()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var before = (await user.GetTaskAsync(work.Task.Id, Ct)).Lease!;
        await Task.Delay(20, Ct);
        await work.Machine.HeartbeatAsync(cancellationToken: Ct);
        var after = (await user.GetTaskAsync(work.Task.Id, Ct)).Lease!;
        Assert.True(after.ExpiresAt > before.ExpiresAt);
        Assert.Equal(before.Epoch, after.Epoch);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_or_for_another_audience_is_refused()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var (otherKey, _) = SessionToken.GenerateKeyPair();
        var forged = SessionToken.Create(work.Session.Id, Server.BaseUrl, otherKey, Server.Time.GetUtcNow());
        await (await Server.CreateClient(forged).GetAsync("api/whoami", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, cancellationToken: Ct);

        var wrongAudience = SessionToken.Create(work.Session.Id, "http://elsewhere.example:1", work.Session.PrivateKey, Server.Time.GetUtcNow());
        await (await Server.CreateClient(wrongAudience).GetAsync("api/whoami", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, cancellationToken: Ct);

        var expired = SessionToken.Create(work.Session.Id, Server.BaseUrl, work.Session.PrivateKey, Server.Time.GetUtcNow().AddMinutes(-5));
        var error = await (await Server.CreateClient(expired).GetAsync("api/whoami", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, cancellationToken: Ct);
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);

        var good = SessionToken.Create(work.Session.Id, Server.BaseUrl, work.Session.PrivateKey, Server.Time.GetUtcNow());
        await (await Server.CreateClient(good).GetAsync("api/whoami", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
    }
}

public sealed class LeasesAndSessionsSqliteTests(SqliteServerFixture fixture) : LeasesAndSessionsTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class LeasesAndSessionsPostgresTests(PostgresServerFixture fixture) : LeasesAndSessionsTests(fixture), IClassFixture<PostgresServerFixture>;
