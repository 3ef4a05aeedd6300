using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

public abstract class MachinesAndUsersTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task A_machine_registers_heartbeats_and_is_listed()
    {
        var user = await NewUserAsync();
        var machine = await user.RegisterMachineAsync("laptop-1", Ct);
        Assert.Equal(("online", "laptop-1", "linux"), (machine.Machine.Status, machine.Machine.DeviceId, machine.Machine.Os));
        Assert.StartsWith("akm_", machine.ApiKey, StringComparison.Ordinal);

        var resetAt = new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var beat = await machine.HeartbeatAsync(new HeartbeatRequest
        {
            Version = "0.2.0",
            Runtimes = [new RuntimeStatusDto("claude", "limited", "five-hour window", resetAt), new RuntimeStatusDto("codex", "missing")],
            Usage = [new UsageWindowDto("claude", "five_hour", 97.5, resetAt)],
        }, Ct);
        Assert.Equal("0.2.0", beat.Version);
        Assert.Equal([new RuntimeStatusDto("claude", "limited", "five-hour window", resetAt), new RuntimeStatusDto("codex", "missing")], beat.Runtimes);
        Assert.Equal(97.5, Assert.Single(beat.Usage).Utilization);
        Assert.NotNull(beat.LastHeartbeatAt);

        var listed = await (await user.Client.GetAsync("api/machines", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListMachineDto, Ct);
        Assert.Equal(machine.Id, Assert.Single(listed).Id);
        var got = await (await machine.Client.GetAsync($"api/machines/{machine.Id}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.MachineDto, Ct);
        Assert.Equal(beat.Runtimes, got.Runtimes);

        await (await machine.Client.PostJsonAsync($"api/machines/{machine.Id}/heartbeat",
                new HeartbeatRequest { Runtimes = [new RuntimeStatusDto("claude", "sleepy")] }, ContractsJsonContext.Default.HeartbeatRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "runtimes.status", Ct);
        await (await machine.Client.PostJsonAsync($"api/machines/{machine.Id}/heartbeat",
                new HeartbeatRequest { Usage = [new UsageWindowDto("claude", "x", 140)] }, ContractsJsonContext.Default.HeartbeatRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "usage.utilization", Ct);
    }

    [Fact]
    public async Task Re_registering_a_device_rotates_its_key()
    {
        var user = await NewUserAsync();
        var first = await user.RegisterMachineAsync("desk", Ct);
        var second = await user.RegisterMachineAsync("desk", Ct);
        Assert.Equal(first.Id, second.Id);
        Assert.NotEqual(first.ApiKey, second.ApiKey);
        await (await first.Client.GetAsync("api/whoami", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, cancellationToken: Ct);
        await (await second.Client.GetAsync("api/whoami", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
    }

    [Fact]
    public async Task A_machine_heartbeats_only_for_itself_and_only_users_register_or_delete()
    {
        var user = await NewUserAsync();
        var a = await user.RegisterMachineAsync(cancellationToken: Ct);
        var b = await user.RegisterMachineAsync(cancellationToken: Ct);
        await (await a.Client.PostJsonAsync($"api/machines/{b.Id}/heartbeat", new HeartbeatRequest(), ContractsJsonContext.Default.HeartbeatRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await a.Client.PostJsonAsync("api/machines/nope/heartbeat", new HeartbeatRequest(), ContractsJsonContext.Default.HeartbeatRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
        await (await a.Client.PostJsonAsync("api/machines", new RegisterMachineRequest { DeviceId = "x" }, ContractsJsonContext.Default.RegisterMachineRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await a.Client.DeleteAsync($"api/machines/{b.Id}", Ct)).ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await user.Client.PostJsonAsync("api/machines", new RegisterMachineRequest { Name = "no device" }, ContractsJsonContext.Default.RegisterMachineRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "device_id", Ct);

        await (await user.Client.DeleteAsync($"api/machines/{b.Id}", Ct)).ExpectAsync(HttpStatusCode.NoContent, Ct);
        await (await b.Client.GetAsync("api/whoami", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, cancellationToken: Ct);
        await (await user.Client.GetAsync($"api/machines/{b.Id}", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
    }

    [Fact]
    public async Task Deleting_a_machine_ends_its_leases_and_sessions()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await (await user.Client.DeleteAsync($"api/machines/{work.Machine.Id}", Ct)).ExpectAsync(HttpStatusCode.NoContent, Ct);
        Assert.Null((await user.GetTaskAsync(work.Task.Id, Ct)).Lease);
        await (await work.Session.Client.GetAsync("api/whoami", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, cancellationToken: Ct);
    }

    [Fact]
    public async Task Only_the_admin_manages_users_and_each_user_is_its_own_tenant()
    {
        var alice = await NewUserAsync();
        var users = await (await Server.Admin.GetAsync("api/users", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListUserDto, Ct);
        Assert.Contains(users, u => u.Id == alice.User.Id);
        var got = await (await Server.Admin.GetAsync($"api/users/{alice.User.Name}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.UserDto, Ct);
        Assert.Equal(alice.User.Id, got.Id);

        await (await alice.Client.GetAsync("api/users", Ct)).ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await alice.Client.PostJsonAsync("api/users", new CreateUserRequest("mallory", true), ContractsJsonContext.Default.CreateUserRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await Server.Admin.PostJsonAsync("api/users", new CreateUserRequest(alice.User.Name), ContractsJsonContext.Default.CreateUserRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, field: "name", cancellationToken: Ct);
        await (await Server.Admin.GetAsync("api/users/nobody-at-all", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
    }

    [Fact]
    public async Task Another_owners_resources_are_not_found()
    {
        var alice = await NewUserAsync();
        var bob = await NewUserAsync();
        var work = await alice.StartWorkerAsync(Ct);
        var repo = await alice.CreateRepositoryAsync(cancellationToken: Ct);

        foreach (var path in new[]
                 {
                     $"api/boards/{work.Board.Id}", $"api/tasks/{work.Task.Id}", $"api/agents/{work.Agent.Id}", $"api/machines/{work.Machine.Id}",
                     $"api/sessions/{work.Session.Id}", $"api/repositories/{repo.Id}", $"api/tasks/{work.Task.Id}/notes",
                 })
        {
            await (await bob.Client.GetAsync(path, Ct)).ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
        }

        Assert.Empty(await (await bob.Client.GetAsync("api/tasks", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct));
        await (await TransitionAsync(bob.Client, work.Task.Id, "cancel")).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
        await (await bob.Client.DeleteAsync($"api/boards/{work.Board.Id}", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
        await (await bob.Client.PostJsonAsync("api/tasks", new CreateTaskRequest { BoardId = work.Board.Id, Title = "sneaky" }, ContractsJsonContext.Default.CreateTaskRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, field: "board_id", cancellationToken: Ct);
        var bobMachine = await bob.RegisterMachineAsync(cancellationToken: Ct);
        await (await bobMachine.Client.PostAsync($"api/tasks/{work.Task.Id}/lease", null, Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
        await (await bobMachine.Client.PostAsync($"api/sessions/{work.Session.Id}/close", null, Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
        Assert.Equal("todo", (await alice.GetTaskAsync(work.Task.Id, Ct)).Status);
    }
}

public sealed class MachinesAndUsersSqliteTests(SqliteServerFixture fixture) : MachinesAndUsersTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class MachinesAndUsersPostgresTests(PostgresServerFixture fixture) : MachinesAndUsersTests(fixture), IClassFixture<PostgresServerFixture>;
