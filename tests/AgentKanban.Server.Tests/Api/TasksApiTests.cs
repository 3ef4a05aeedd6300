using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

public abstract class TasksApiTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task Create_resolves_names_and_returns_the_full_task()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync("Platform", "dev", Ct);
        await user.AddLabelAsync(board.Id, "bug", cancellationToken: Ct);
        await user.AddLabelAsync("Platform", "urgent", cancellationToken: Ct);
        var repo = await user.CreateRepositoryAsync("api", "git@github.com:acme/api.git", Ct);
        var agent = await user.CreateAgentAsync("coder", cancellationToken: Ct);
        var dep = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = "Platform", Title = "first", RepositoryId = "api" }, Ct);
        var at = new DateTimeOffset(2031, 5, 1, 9, 30, 0, TimeSpan.FromHours(2));

        var task = await user.CreateTaskAsync(new CreateTaskRequest
        {
            BoardId = "Platform",
            Title = "  Fix the login  ",
            Description = "multi\nline",
            RepositoryId = "api",
            AssignedTo = "coder",
            Labels = ["urgent", "bug", "bug"],
            DependsOn = [dep.Id],
            ScheduledAt = at,
        }, Ct);

        Assert.Equal(("todo", "Fix the login", "multi\nline"), (task.Status, task.Title, task.Description));
        Assert.Equal((board.Id, repo.Id, agent.Id), (task.BoardId, task.RepositoryId, task.AssignedTo));
        Assert.Equal(["bug", "urgent"], task.Labels);
        Assert.Equal([dep.Id], task.DependsOn);
        Assert.True(task.Blocked);
        Assert.Equal(at, task.ScheduledAt);
        Assert.Equal(dep.Seq + 1, task.Seq);
        Assert.Equal(user.User.Id, task.CreatedBy);
        Assert.Null(task.Lease);
    }

    [Fact]
    public async Task Dev_boards_need_a_repository_and_ops_boards_refuse_one()
    {
        var user = await NewUserAsync();
        var dev = await user.CreateBoardAsync(type: "dev", cancellationToken: Ct);
        var ops = await user.CreateBoardAsync(type: "ops", cancellationToken: Ct);
        var repo = await user.CreateRepositoryAsync(cancellationToken: Ct);

        await (await Create(user, new CreateTaskRequest { BoardId = dev.Id, Title = "x" })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "repository_id", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = ops.Id, Title = "x", RepositoryId = repo.Id })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "repository_id", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = dev.Id, Title = "x", RepositoryId = repo.Name })).ExpectAsync(HttpStatusCode.Created, Ct);
    }

    [Fact]
    public async Task Create_refuses_unknown_references_and_bad_fields_naming_the_field()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var leader = await user.CreateAgentAsync(kind: "leader", cancellationToken: Ct);

        await (await Create(user, new CreateTaskRequest { Title = "x" })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "board_id", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = "nope", Title = "x" })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "board_id", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = board.Id })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "title", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = board.Id, Title = "   " })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "title", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = board.Id, Title = "x", AssignedTo = "ghost" })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "assigned_to", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = board.Id, Title = "x", AssignedTo = leader.Id })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "assigned_to", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = board.Id, Title = "x", Labels = ["nolabel"] })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "labels", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = board.Id, Title = "x", DependsOn = ["nosuchtask"] })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "depends_on", Ct);
        await (await Create(user, new CreateTaskRequest { BoardId = board.Id, Title = "x", ParentId = "nosuchtask" })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "parent_id", Ct);
        await (await user.Client.SendRawAsync(HttpMethod.Post, "api/tasks", $$"""{"board_id":"{{board.Id}}","title":"x","scheduled_at":"2030-01-01T10:00:00"}""", cancellationToken: Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "scheduled_at", Ct);
        await (await user.Client.SendRawAsync(HttpMethod.Post, "api/tasks", $$"""{"board_id":"{{board.Id}}","title":"x","scheduled_at":"tomorrow"}""", cancellationToken: Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "scheduled_at", Ct);

        var all = await List(user, "");
        Assert.Empty(all);
    }

    [Fact]
    public async Task Assigning_never_needs_a_machine_online()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(runtime: "gemini", cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Username, cancellationToken: Ct);
        Assert.Equal(agent.Id, task.AssignedTo);
    }

    [Fact]
    public async Task List_filters_by_board_status_label_assignee_and_repository()
    {
        var user = await NewUserAsync();
        var ops = await user.CreateBoardAsync("ops-board", "ops", Ct);
        var dev = await user.CreateBoardAsync("dev-board", "dev", Ct);
        await user.AddLabelAsync(ops.Id, "infra", cancellationToken: Ct);
        var repo = await user.CreateRepositoryAsync("svc", cancellationToken: Ct);
        var agent = await user.CreateAgentAsync("runner", cancellationToken: Ct);
        var a = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = ops.Id, Title = "a", Labels = ["infra"], AssignedTo = agent.Id }, Ct);
        var b = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = ops.Id, Title = "b" }, Ct);
        var c = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = dev.Id, Title = "c", RepositoryId = repo.Id }, Ct);
        await TransitionOkAsync(user.Client, b.Id, "cancel");

        Assert.Equal([a.Id, b.Id], (await List(user, "?board_id=ops-board")).Select(t => t.Id));
        Assert.Equal([b.Id], (await List(user, "?status=cancelled")).Select(t => t.Id));
        Assert.Equal([a.Id], (await List(user, "?label=infra")).Select(t => t.Id));
        Assert.Equal([a.Id], (await List(user, "?assigned_to=runner")).Select(t => t.Id));
        Assert.Equal([c.Id], (await List(user, "?repository_id=svc")).Select(t => t.Id));
        Assert.Empty(await List(user, "?board_id=unknown"));
        Assert.Equal(3, (await List(user, "")).Count);
        Assert.Null((await List(user, "")).First().Activity);
        await (await user.Client.GetAsync("api/tasks?status=doing", Ct)).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "status", Ct);
    }

    [Fact]
    public async Task Update_changes_fields_and_replaces_dependencies_refusing_cycles()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        await user.AddLabelAsync(board.Id, "x", cancellationToken: Ct);
        var a = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        var b = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "b", DependsOn = [a.Id] }, Ct);
        var c = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "c", DependsOn = [b.Id] }, Ct);

        var error = await (await Patch(user, a.Id, new UpdateTaskRequest { DependsOn = [c.Id] })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "depends_on", Ct);
        Assert.Contains("cycle", error.Message, StringComparison.Ordinal);
        await (await Patch(user, a.Id, new UpdateTaskRequest { DependsOn = [a.Id] })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "depends_on", Ct);
        Assert.Empty((await user.GetTaskAsync(a.Id, Ct)).DependsOn);

        var updated = await (await Patch(user, c.Id, new UpdateTaskRequest
        {
            Title = "renamed", Description = "d", Labels = ["x"], DependsOn = [a.Id], ScheduledAt = "2032-02-03T04:05:06Z", Position = 42, PrUrl = "https://x/pr/2",
        })).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal(("renamed", "d", 42L, "https://x/pr/2"), (updated.Title, updated.Description, updated.Position, updated.PrUrl));
        Assert.Equal(["x"], updated.Labels);
        Assert.Equal([a.Id], updated.DependsOn);
        Assert.Equal(new DateTimeOffset(2032, 2, 3, 4, 5, 6, TimeSpan.Zero), updated.ScheduledAt);

        var cleared = await (await Patch(user, c.Id, new UpdateTaskRequest { Description = "", Labels = [], DependsOn = [], ScheduledAt = "" }))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Null(cleared.Description);
        Assert.Empty(cleared.Labels);
        Assert.Empty(cleared.DependsOn);
        Assert.Null(cleared.ScheduledAt);
        Assert.False(cleared.Blocked);

        await (await Patch(user, c.Id, new UpdateTaskRequest { ScheduledAt = "next week" })).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "scheduled_at", Ct);
        await (await Patch(user, "missing", new UpdateTaskRequest { Title = "t" })).ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
    }

    [Fact]
    public async Task Only_a_todo_task_can_be_reassigned_and_reassigning_drops_the_lease()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var other = await user.CreateAgentAsync(cancellationToken: Ct);

        var moved = await (await Patch(user, work.Task.Id, new UpdateTaskRequest { AssignedTo = other.Id })).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Null(moved.Lease);
        Assert.Equal(work.Session.Session.Epoch + 1, moved.Epoch);

        var back = await (await Patch(user, work.Task.Id, new UpdateTaskRequest { AssignedTo = work.Agent.Id })).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        var session = await work.Machine.LeaseAndOpenSessionAsync(work.Agent.Id, back.Id, Ct);
        await TransitionOkAsync(session.Client, back.Id, "claim");
        await (await Patch(user, work.Task.Id, new UpdateTaskRequest { AssignedTo = other.Id })).ReadErrorAsync(HttpStatusCode.Conflict, field: "assigned_to", cancellationToken: Ct);
        var unassign = await (await Patch(user, work.Task.Id, new UpdateTaskRequest { Title = "still mine" })).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal(work.Agent.Id, unassign.AssignedTo);
    }

    [Fact]
    public async Task Delete_is_for_todo_done_or_cancelled_tasks_and_unblocks_dependents()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var dependent = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = work.Board.Id, Title = "after", DependsOn = [work.Task.Id] }, Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");

        await (await user.Client.DeleteAsync($"api/tasks/{work.Task.Id}", Ct)).ReadErrorAsync(HttpStatusCode.Conflict, cancellationToken: Ct);
        await TransitionOkAsync(user.Client, work.Task.Id, "cancel");
        await (await user.Client.DeleteAsync($"api/tasks/{work.Task.Id}", Ct)).ExpectAsync(HttpStatusCode.NoContent, Ct);
        await (await user.Client.GetAsync($"api/tasks/{work.Task.Id}", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
        var after = await user.GetTaskAsync(dependent.Id, Ct);
        Assert.Empty(after.DependsOn);
        Assert.False(after.Blocked);
        await (await user.Client.DeleteAsync($"api/tasks/{work.Task.Id}", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
    }

    [Fact]
    public async Task Notes_and_messages_are_recorded_with_their_author()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);

        var note = await (await work.Session.Client.PostJsonAsync($"api/tasks/{work.Task.Id}/notes", new NoteRequest("looking into it"), ContractsJsonContext.Default.NoteRequest, Ct))
            .ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.ActivityDto, Ct);
        Assert.Equal(("commented", "agent:worker", work.Agent.Id, work.Session.Id), (note.Action, note.ActorType, note.ActorId, note.SessionId));
        await (await user.Client.PostJsonAsync($"api/tasks/{work.Task.Id}/messages", new MessageRequest("how is it going?"), ContractsJsonContext.Default.MessageRequest, Ct))
            .ExpectAsync(HttpStatusCode.Created, Ct);
        await (await work.Session.Client.PostJsonAsync($"api/tasks/{work.Task.Id}/messages", new MessageRequest("fine"), ContractsJsonContext.Default.MessageRequest, Ct))
            .ExpectAsync(HttpStatusCode.Created, Ct);

        var notes = await (await user.Client.GetAsync($"api/tasks/{work.Task.Id}/notes", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListActivityDto, Ct);
        Assert.Equal("looking into it", notes[^1].Detail);
        var messages = await (await user.Client.GetAsync($"api/tasks/{work.Task.Id}/messages", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListMessageDto, Ct);
        Assert.Equal([("user", user.User.Id, "how is it going?"), ("agent", work.Agent.Id, "fine")], messages.Select(m => (m.SenderType, m.SenderId, m.Content)));
        var detail = await user.GetTaskAsync(work.Task.Id, Ct);
        Assert.Equal(2, detail.Messages!.Count);

        await (await user.Client.PostJsonAsync($"api/tasks/{work.Task.Id}/notes", new NoteRequest(""), ContractsJsonContext.Default.NoteRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "detail", Ct);
        await (await user.Client.GetAsync("api/tasks/unknown/notes", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
    }

    [Fact]
    public async Task A_worker_creates_subtasks_of_its_own_task()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var sub = await (await work.Session.Client.PostJsonAsync("api/tasks", new CreateTaskRequest { Title = "split out" }, ContractsJsonContext.Default.CreateTaskRequest, Ct))
            .ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal((work.Task.Id, work.Board.Id, work.Agent.Id), (sub.ParentId, sub.BoardId, sub.CreatedBy));
        Assert.Equal([sub.Id], (await List(user, $"?parent_id={work.Task.Id}")).Select(t => t.Id));
    }

    [Fact]
    public async Task Why_is_stored_on_the_task()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var task = await (await work.Machine.Client.PutJsonAsync($"api/tasks/{work.Task.Id}/why", new WhyRequest("runtime claude paused until 14:00"), ContractsJsonContext.Default.WhyRequest, Ct))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal("runtime claude paused until 14:00", task.Why);
        Assert.NotNull(task.WhyAt);
        Assert.Equal(task.Why, (await user.GetTaskAsync(work.Task.Id, Ct)).Why);
        await (await user.Client.PutJsonAsync($"api/tasks/{work.Task.Id}/why", new WhyRequest("x"), ContractsJsonContext.Default.WhyRequest, Ct)).ReadErrorAsync(HttpStatusCode.Forbidden, cancellationToken: Ct);
        await (await work.Machine.Client.PutJsonAsync("api/tasks/none/why", new WhyRequest("x"), ContractsJsonContext.Default.WhyRequest, Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
    }

    private static Task<HttpResponseMessage> Create(TestUser user, CreateTaskRequest request) =>
        user.Client.PostJsonAsync("api/tasks", request, ContractsJsonContext.Default.CreateTaskRequest, Ct);

    private static Task<HttpResponseMessage> Patch(TestUser user, string id, UpdateTaskRequest request) =>
        user.Client.PatchJsonAsync($"api/tasks/{id}", request, ContractsJsonContext.Default.UpdateTaskRequest, Ct);

    private static async Task<List<TaskDto>> List(TestUser user, string query) =>
        await (await user.Client.GetAsync("api/tasks" + query, Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct);
}

public sealed class TasksApiSqliteTests(SqliteServerFixture fixture) : TasksApiTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class TasksApiPostgresTests(PostgresServerFixture fixture) : TasksApiTests(fixture), IClassFixture<PostgresServerFixture>;
