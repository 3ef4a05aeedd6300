using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

/// <summary>
/// Every mutating endpoint × every kind of caller (user, machine, worker session, leader session): the allowed ones
/// succeed (2xx) from a state where the request is legal, the others get 403 and change nothing.
/// </summary>
public abstract class AuthorizationMatrixTests(ServerFixture fixture) : ServerTests(fixture)
{
    private const string User = "user";
    private const string Machine = "machine";
    private const string Worker = "worker";
    private const string Leader = "leader";

    private static readonly string[] Roles = [User, Machine, Worker, Leader];

    /// <summary>Endpoint → (task state needed, roles allowed, the request).</summary>
    private static readonly Dictionary<string, (string State, string[] Allowed, Func<World, HttpClient, Task<HttpResponseMessage>> Send)> Cases = new()
    {
        ["POST /api/boards"] = ("todo", [User, Leader], (w, c) => c.PostJsonAsync("api/boards", new CreateBoardRequest("b-" + Guid.NewGuid().ToString("N")[..6], "ops"), ContractsJsonContext.Default.CreateBoardRequest, Ct)),
        ["PATCH /api/boards/{id}"] = ("todo", [User, Leader], (w, c) => c.PatchJsonAsync($"api/boards/{w.Board.Id}", new UpdateBoardRequest(Description: "d"), ContractsJsonContext.Default.UpdateBoardRequest, Ct)),
        ["DELETE /api/boards/{id}"] = ("todo", [User, Leader], (w, c) => c.DeleteAsync($"api/boards/{w.SpareBoard.Id}", Ct)),
        ["POST /api/boards/{id}/labels"] = ("todo", [User, Leader], (w, c) => c.PostJsonAsync($"api/boards/{w.Board.Id}/labels", new CreateLabelRequest("new", "#123456"), ContractsJsonContext.Default.CreateLabelRequest, Ct)),
        ["DELETE /api/boards/{id}/labels/{name}"] = ("todo", [User, Leader], (w, c) => c.DeleteAsync($"api/boards/{w.Board.Id}/labels/l1", Ct)),
        ["POST /api/repositories"] = ("todo", [User, Leader], (w, c) => c.PostJsonAsync("api/repositories", new CreateRepositoryRequest("r2", "/srv/r2"), ContractsJsonContext.Default.CreateRepositoryRequest, Ct)),
        ["DELETE /api/repositories/{id}"] = ("todo", [User, Leader], (w, c) => c.DeleteAsync($"api/repositories/{w.Repository.Id}", Ct)),
        ["POST /api/agents"] = ("todo", [User, Leader], (w, c) => c.PostJsonAsync("api/agents", new CreateAgentRequest { Username = "another", Runtime = "codex" }, ContractsJsonContext.Default.CreateAgentRequest, Ct)),
        ["PATCH /api/agents/{id}"] = ("todo", [User, Leader], (w, c) => c.PatchJsonAsync($"api/agents/{w.SpareAgent.Id}", new UpdateAgentRequest { Model = "m" }, ContractsJsonContext.Default.UpdateAgentRequest, Ct)),
        ["DELETE /api/agents/{id}"] = ("todo", [User, Leader], (w, c) => c.DeleteAsync($"api/agents/{w.SpareAgent.Id}", Ct)),
        ["POST /api/tasks"] = ("todo", [User, Leader, Worker], (w, c) => c.PostJsonAsync("api/tasks", new CreateTaskRequest { BoardId = w.Board.Id, Title = "new" }, ContractsJsonContext.Default.CreateTaskRequest, Ct)),
        ["PATCH /api/tasks/{id}"] = ("todo", [User, Leader], (w, c) => c.PatchJsonAsync($"api/tasks/{w.Task.Id}", new UpdateTaskRequest { Title = "renamed" }, ContractsJsonContext.Default.UpdateTaskRequest, Ct)),
        ["DELETE /api/tasks/{id}"] = ("todo", [User, Leader], (w, c) => c.DeleteAsync($"api/tasks/{w.Task.Id}", Ct)),
        ["POST /api/tasks/{id}/claim"] = ("todo", [Worker], (w, c) => Transition(c, w, "claim")),
        ["POST /api/tasks/{id}/review"] = ("in_progress", [Worker], (w, c) => Transition(c, w, "review")),
        ["POST /api/tasks/{id}/reject"] = ("in_review", [User, Leader], (w, c) => Transition(c, w, "reject")),
        ["POST /api/tasks/{id}/complete"] = ("in_review", [User, Machine, Leader], (w, c) => Transition(c, w, "complete")),
        ["POST /api/tasks/{id}/cancel"] = ("in_progress", [User, Machine, Leader], (w, c) => Transition(c, w, "cancel")),
        ["POST /api/tasks/{id}/release"] = ("in_progress", [User, Machine, Leader], (w, c) => Transition(c, w, "release")),
        ["POST /api/tasks/{id}/notes"] = ("in_progress", [User, Machine, Worker, Leader], (w, c) => c.PostJsonAsync($"api/tasks/{w.Task.Id}/notes", new NoteRequest("n"), ContractsJsonContext.Default.NoteRequest, Ct)),
        ["POST /api/tasks/{id}/messages"] = ("in_progress", [User, Machine, Worker, Leader], (w, c) => c.PostJsonAsync($"api/tasks/{w.Task.Id}/messages", new MessageRequest("m"), ContractsJsonContext.Default.MessageRequest, Ct)),
        ["POST /api/tasks/{id}/lease"] = ("todo", [Machine], (w, c) => c.PostAsync($"api/tasks/{w.Task.Id}/lease", null, Ct)),
        ["DELETE /api/tasks/{id}/lease"] = ("todo", [Machine], (w, c) => c.DeleteAsync($"api/tasks/{w.Task.Id}/lease", Ct)),
        ["PUT /api/tasks/{id}/why"] = ("todo", [Machine], (w, c) => c.PutJsonAsync($"api/tasks/{w.Task.Id}/why", new WhyRequest("waiting"), ContractsJsonContext.Default.WhyRequest, Ct)),
        ["POST /api/machines"] = ("todo", [User], (w, c) => c.PostJsonAsync("api/machines", new RegisterMachineRequest { DeviceId = "other-device" }, ContractsJsonContext.Default.RegisterMachineRequest, Ct)),
        ["DELETE /api/machines/{id}"] = ("todo", [User], (w, c) => c.DeleteAsync($"api/machines/{w.SpareMachine.Id}", Ct)),
        ["POST /api/machines/{id}/heartbeat"] = ("todo", [Machine], (w, c) => c.PostJsonAsync($"api/machines/{w.Machine.Id}/heartbeat", new HeartbeatRequest(), ContractsJsonContext.Default.HeartbeatRequest, Ct)),
        ["POST /api/sessions"] = ("todo", [Machine], (w, c) => c.PostJsonAsync("api/sessions",
            new OpenSessionRequest { AgentId = w.Leader.Session.AgentId, PublicKey = w.Worker.PublicKey }, ContractsJsonContext.Default.OpenSessionRequest, Ct)),
        ["POST /api/sessions/{id}/close"] = ("todo", [Machine], (w, c) => c.PostAsync($"api/sessions/{w.SpareSession.Id}/close", null, Ct)),
        ["POST /api/sessions/{id}/reopen"] = ("todo", [Machine], (w, c) => c.PostAsync($"api/sessions/{w.SpareSession.Id}/reopen", null, Ct)),
        ["POST /api/sessions/{id}/usage"] = ("todo", [Machine, Worker], (w, c) => c.PostJsonAsync($"api/sessions/{w.Worker.Id}/usage",
            new SessionUsageRequest { InputTokens = 1 }, ContractsJsonContext.Default.SessionUsageRequest, Ct)),
        ["POST /api/users"] = ("todo", [], (w, c) => c.PostJsonAsync("api/users", new CreateUserRequest("u-" + Guid.NewGuid().ToString("N")[..6]), ContractsJsonContext.Default.CreateUserRequest, Ct)),
    };

    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Cases.Keys)
        {
            foreach (var role in Roles)
            {
                data.Add(endpoint, role);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_caller_may_do_exactly_what_its_role_allows(string endpoint, string role)
    {
        var (state, allowed, send) = Cases[endpoint];
        var world = await World.BuildAsync(await NewUserAsync(), state);
        var client = role switch
        {
            User => world.Owner.Client,
            Machine => world.Machine.Client,
            Worker => world.Worker.Client,
            _ => world.Leader.Client,
        };
        var before = await world.Owner.GetTaskAsync(world.Task.Id, Ct);

        var response = await send(world, client);

        if (allowed.Contains(role))
        {
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, $"{role} should be allowed {endpoint}, got {(int)response.StatusCode}: {body}");
        }
        else
        {
            await response.ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
            var after = await world.Owner.GetTaskAsync(world.Task.Id, Ct);
            Assert.Equal((before.Status, before.Epoch, before.Title, before.UpdatedAt), (after.Status, after.Epoch, after.Title, after.UpdatedAt));
        }
    }

    [Fact]
    public async Task A_worker_cannot_touch_a_task_its_session_does_not_hold()
    {
        var user = await NewUserAsync();
        var mine = await World.BuildAsync(user, "todo");
        var other = await user.CreateTaskAsync(mine.Board.Id, mine.Task.AssignedTo, cancellationToken: Ct);
        await mine.Machine.LeaseAsync(other.Id, Ct);

        foreach (var verb in new[] { "claim", "review" })
        {
            var error = await (await Transition(mine.Worker.Client, other.Id, verb)).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
            Assert.Contains("its own task", error.Message, StringComparison.Ordinal);
        }

        await (await mine.Worker.Client.PostJsonAsync($"api/tasks/{other.Id}/notes", new NoteRequest("x"), ContractsJsonContext.Default.NoteRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await mine.Worker.Client.PostJsonAsync($"api/tasks/{other.Id}/messages", new MessageRequest("x"), ContractsJsonContext.Default.MessageRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await mine.Worker.Client.PostJsonAsync($"api/sessions/{mine.Leader.Id}/usage", new SessionUsageRequest(), ContractsJsonContext.Default.SessionUsageRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        var after = await user.GetTaskAsync(other.Id, Ct);
        Assert.Equal("todo", after.Status);
        Assert.Equal(2, after.Activity!.Count);
    }

    [Fact]
    public async Task A_stale_session_is_refused_on_every_task_write()
    {
        var user = await NewUserAsync();
        var world = await World.BuildAsync(user, "in_progress");
        // The lease runs out from under the session: the machine gives the task back, a new run starts at a new epoch.
        await TransitionOkAsync(world.Machine.Client, world.Task.Id, "release");
        await world.Machine.LeaseAsync(world.Task.Id, Ct);

        await (await Transition(world.Worker.Client, world.Task.Id, "claim")).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        await (await world.Worker.Client.PostJsonAsync($"api/tasks/{world.Task.Id}/notes", new NoteRequest("late"), ContractsJsonContext.Default.NoteRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        await (await world.Worker.Client.PostJsonAsync($"api/tasks/{world.Task.Id}/messages", new MessageRequest("late"), ContractsJsonContext.Default.MessageRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        var task = await user.GetTaskAsync(world.Task.Id, Ct);
        Assert.Equal("todo", task.Status);
        Assert.DoesNotContain(task.Activity!, a => a.Detail == "late");
        Assert.Empty(task.Messages!);
    }

    [Fact]
    public async Task A_worker_creates_tasks_only_as_subtasks_of_its_own_task_on_its_board()
    {
        var user = await NewUserAsync();
        var world = await World.BuildAsync(user, "in_progress");
        var other = await user.CreateTaskAsync(world.Board.Id, cancellationToken: Ct);
        var before = await ListTasksAsync(user);

        var underOther = await (await CreateTask(world.Worker.Client, new CreateTaskRequest { Title = "under another task", ParentId = other.Id }))
            .ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        Assert.Contains("its own task", underOther.Message, StringComparison.Ordinal);
        var elsewhere = await (await CreateTask(world.Worker.Client, new CreateTaskRequest { Title = "on another board", BoardId = world.SpareBoard.Name }))
            .ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        Assert.Contains("its own task's board", elsewhere.Message, StringComparison.Ordinal);
        Assert.Equal(before, await ListTasksAsync(user));

        // Naming its own task and board explicitly is the same as leaving them out.
        var sub = await (await CreateTask(world.Worker.Client, new CreateTaskRequest { Title = "split out", ParentId = world.Task.Id, BoardId = world.Board.Name }))
            .ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal((world.Task.Id, world.Board.Id), (sub.ParentId, sub.BoardId));
    }

    [Fact]
    public async Task A_stale_session_cannot_create_tasks()
    {
        var user = await NewUserAsync();
        var world = await World.BuildAsync(user, "in_progress");
        await TransitionOkAsync(world.Machine.Client, world.Task.Id, "release");
        await world.Machine.LeaseAsync(world.Task.Id, Ct);
        var before = await ListTasksAsync(user);

        await (await CreateTask(world.Worker.Client, new CreateTaskRequest { Title = "late subtask" }))
            .ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        await (await CreateTask(world.Worker.Client, new CreateTaskRequest { Title = "late subtask", BoardId = world.Board.Id, ParentId = world.Task.Id }))
            .ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);
        Assert.Equal(before, await ListTasksAsync(user));
        var task = await user.GetTaskAsync(world.Task.Id, Ct);
        Assert.Equal("todo", task.Status);
    }

    private static Task<HttpResponseMessage> CreateTask(HttpClient client, CreateTaskRequest request) =>
        client.PostJsonAsync("api/tasks", request, ContractsJsonContext.Default.CreateTaskRequest, Ct);

    private static async Task<List<string>> ListTasksAsync(TestUser user) =>
        (await (await user.Client.GetAsync("api/tasks", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct))
        .Select(t => t.Id).Order(StringComparer.Ordinal).ToList();

    private static Task<HttpResponseMessage> Transition(HttpClient client, World world, string verb) => Transition(client, world.Task.Id, verb);

    private static Task<HttpResponseMessage> Transition(HttpClient client, string taskId, string verb) =>
        client.PostJsonAsync($"api/tasks/{taskId}/{verb}", new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest, Ct);

    /// <summary>A tenant with a worker session on its task (in the requested state), a leader session and spare resources to delete.</summary>
    private sealed record World(
        TestUser Owner, BoardDto Board, BoardDto SpareBoard, RepositoryDto Repository, AgentDto SpareAgent, TestMachine Machine,
        TestMachine SpareMachine, TaskDto Task, TestSession Worker, TestSession Leader, TestSession SpareSession)
    {
        public static async Task<World> BuildAsync(TestUser owner, string state)
        {
            var board = await owner.CreateBoardAsync(cancellationToken: Ct);
            await owner.AddLabelAsync(board.Id, "l1", cancellationToken: Ct);
            var spareBoard = await owner.CreateBoardAsync(cancellationToken: Ct);
            var repository = await owner.CreateRepositoryAsync(cancellationToken: Ct);
            var worker = await owner.CreateAgentAsync(cancellationToken: Ct);
            var leader = await owner.CreateAgentAsync(kind: "leader", cancellationToken: Ct);
            var spareAgent = await owner.CreateAgentAsync(cancellationToken: Ct);
            var machine = await owner.RegisterMachineAsync(cancellationToken: Ct);
            var spareMachine = await owner.RegisterMachineAsync(cancellationToken: Ct);
            var task = await owner.CreateTaskAsync(board.Id, worker.Id, cancellationToken: Ct);
            var workerSession = await machine.LeaseAndOpenSessionAsync(worker.Id, task.Id, Ct);
            var leaderSession = await machine.OpenSessionAsync(leader.Id, null, null, Ct);
            var spareSession = await machine.OpenSessionAsync(leader.Id, null, null, Ct);
            if (state is "in_progress" or "in_review")
            {
                await TransitionOkAsync(workerSession.Client, task.Id, "claim");
            }

            if (state == "in_review")
            {
                await TransitionOkAsync(workerSession.Client, task.Id, "review");
            }

            return new World(owner, board, spareBoard, repository, spareAgent, machine, spareMachine, task, workerSession, leaderSession, spareSession);
        }
    }
}

public sealed class AuthorizationMatrixSqliteTests(SqliteServerFixture fixture) : AuthorizationMatrixTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class AuthorizationMatrixPostgresTests(PostgresServerFixture fixture) : AuthorizationMatrixTests(fixture), IClassFixture<PostgresServerFixture>;
