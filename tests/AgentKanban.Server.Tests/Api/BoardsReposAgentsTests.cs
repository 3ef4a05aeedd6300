using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

public abstract class BoardsReposAgentsTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task Boards_are_created_listed_found_by_name_updated_and_deleted()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync("Ops", "ops", Ct);
        Assert.Equal(("Ops", "ops"), (board.Name, board.Type));
        var defaulted = await (await user.Client.PostJsonAsync("api/boards", new CreateBoardRequest("Dev board", null), ContractsJsonContext.Default.CreateBoardRequest, Ct))
            .ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, Ct);
        Assert.Equal("dev", defaulted.Type);

        var all = await (await user.Client.GetAsync("api/boards", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListBoardDto, Ct);
        Assert.Equal(["Ops", "Dev board"], all.Select(b => b.Name));
        var byName = await (await user.Client.GetAsync("api/boards?name=Ops", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListBoardDto, Ct);
        Assert.Equal(board.Id, Assert.Single(byName).Id);
        var got = await (await user.Client.GetAsync("api/boards/Ops", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.BoardDto, Ct);
        Assert.Equal(board.Id, got.Id);

        var renamed = await (await user.Client.PatchJsonAsync($"api/boards/{board.Id}", new UpdateBoardRequest("Operations", "the ops work"), ContractsJsonContext.Default.UpdateBoardRequest, Ct))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.BoardDto, Ct);
        Assert.Equal(("Operations", "the ops work"), (renamed.Name, renamed.Description));
        await (await user.Client.PatchJsonAsync($"api/boards/{board.Id}", new UpdateBoardRequest("Dev board"), ContractsJsonContext.Default.UpdateBoardRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, field: "name", cancellationToken: Ct);

        var task = await user.CreateTaskAsync(board.Id, cancellationToken: Ct);
        await (await user.Client.DeleteAsync("api/boards/Operations", Ct)).ExpectAsync(HttpStatusCode.NoContent, Ct);
        await (await user.Client.GetAsync($"api/boards/{board.Id}", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
        await (await user.Client.GetAsync($"api/tasks/{task.Id}", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
    }

    [Fact]
    public async Task Board_names_are_unique_per_owner_and_validated()
    {
        var user = await NewUserAsync();
        await user.CreateBoardAsync("Main", cancellationToken: Ct);
        await (await user.Client.PostJsonAsync("api/boards", new CreateBoardRequest("Main", "ops"), ContractsJsonContext.Default.CreateBoardRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, field: "name", cancellationToken: Ct);
        await (await user.Client.PostJsonAsync("api/boards", new CreateBoardRequest("", "ops"), ContractsJsonContext.Default.CreateBoardRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "name", Ct);
        await (await user.Client.PostJsonAsync("api/boards", new CreateBoardRequest("X", "kanban"), ContractsJsonContext.Default.CreateBoardRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "type", Ct);
        // Another user may use the same name.
        var other = await NewUserAsync();
        await other.CreateBoardAsync("Main", cancellationToken: Ct);
    }

    [Fact]
    public async Task Labels_are_added_and_removed_and_leave_the_tasks_too()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var withLabel = await user.AddLabelAsync(board.Id, "bug", "#FF0000", Ct);
        Assert.Equal(new LabelDto("bug", "#ff0000"), Assert.Single(withLabel.Labels));
        await (await user.Client.PostJsonAsync($"api/boards/{board.Id}/labels", new CreateLabelRequest("bug", "#00ff00"), ContractsJsonContext.Default.CreateLabelRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, field: "name", cancellationToken: Ct);
        await (await user.Client.PostJsonAsync($"api/boards/{board.Id}/labels", new CreateLabelRequest("red", "red"), ContractsJsonContext.Default.CreateLabelRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "color", Ct);
        await (await user.Client.PostJsonAsync($"api/boards/{board.Id}/labels", new CreateLabelRequest("a,b", null), ContractsJsonContext.Default.CreateLabelRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "name", Ct);

        var task = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "t", Labels = ["bug"] }, Ct);
        Assert.Equal(["bug"], task.Labels);
        var after = await (await user.Client.DeleteAsync($"api/boards/{board.Id}/labels/bug", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.BoardDto, Ct);
        Assert.Empty(after.Labels);
        Assert.Empty((await user.GetTaskAsync(task.Id, Ct)).Labels);
        await (await user.Client.DeleteAsync($"api/boards/{board.Id}/labels/bug", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
    }

    [Fact]
    public async Task Repositories_accept_git_urls_and_local_paths()
    {
        var user = await NewUserAsync();
        foreach (var url in new[] { "https://github.com/acme/web.git", "git@github.com:acme/api.git", "ssh://git@host:2222/x/y", "file:///srv/git/tool", "/home/me/src/local-repo" })
        {
            var repo = await (await user.Client.PostJsonAsync("api/repositories", new CreateRepositoryRequest(null, url), ContractsJsonContext.Default.CreateRepositoryRequest, Ct))
                .ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.RepositoryDto, Ct);
            Assert.Equal(url, repo.Url);
        }

        var named = await user.CreateRepositoryAsync("mine", "https://example.com/me/mine/", Ct);
        Assert.Equal("https://example.com/me/mine", named.Url);
        Assert.Equal(named.Id, (await (await user.Client.GetAsync("api/repositories/mine", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.RepositoryDto, Ct)).Id);
        var byName = await (await user.Client.GetAsync("api/repositories?name=api", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListRepositoryDto, Ct);
        Assert.Equal("git@github.com:acme/api.git", Assert.Single(byName).Url);
        var byUrl = await (await user.Client.GetAsync("api/repositories?url=https://example.com/me/mine", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListRepositoryDto, Ct);
        Assert.Equal(named.Id, Assert.Single(byUrl).Id);

        foreach (var bad in new[] { "relative/path", "ftp://x/y", "not a url", "" })
        {
            await (await user.Client.PostJsonAsync("api/repositories", new CreateRepositoryRequest("bad", bad), ContractsJsonContext.Default.CreateRepositoryRequest, Ct))
                .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "url", Ct);
        }

        await (await user.Client.PostJsonAsync("api/repositories", new CreateRepositoryRequest("mine", "/other"), ContractsJsonContext.Default.CreateRepositoryRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, field: "name", cancellationToken: Ct);
    }

    [Fact]
    public async Task A_repository_in_use_by_open_tasks_cannot_be_deleted()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(type: "dev", cancellationToken: Ct);
        var repo = await user.CreateRepositoryAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "t", RepositoryId = repo.Id }, Ct);
        await (await user.Client.DeleteAsync($"api/repositories/{repo.Id}", Ct)).ReadErrorAsync(HttpStatusCode.Conflict, cancellationToken: Ct);
        await TransitionOkAsync(user.Client, task.Id, "cancel");
        await (await user.Client.DeleteAsync($"api/repositories/{repo.Id}", Ct)).ExpectAsync(HttpStatusCode.NoContent, Ct);
        Assert.Null((await user.GetTaskAsync(task.Id, Ct)).RepositoryId);
    }

    [Fact]
    public async Task Agents_are_created_listed_updated_and_deleted_by_id_or_username()
    {
        var user = await NewUserAsync();
        var worker = await (await user.Client.PostJsonAsync("api/agents",
                new CreateAgentRequest { Username = "coder-1", Runtime = "codex", Model = "gpt-5", Role = "backend", Instructions = "Be careful.", Name = "Coder" },
                ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.AgentDto, Ct);
        Assert.Equal(("coder-1", "worker", "codex", "gpt-5", "backend", "Be careful."), (worker.Username, worker.Kind, worker.Runtime, worker.Model, worker.Role, worker.Instructions));
        var leader = await user.CreateAgentAsync("lead", "leader", "claude", Ct);

        var leaders = await (await user.Client.GetAsync("api/agents?kind=leader", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListAgentDto, Ct);
        Assert.Equal(leader.Id, Assert.Single(leaders).Id);
        var codex = await (await user.Client.GetAsync("api/agents?runtime=codex", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListAgentDto, Ct);
        Assert.Equal(worker.Id, Assert.Single(codex).Id);

        var updated = await (await user.Client.PatchJsonAsync("api/agents/coder-1", new UpdateAgentRequest { Model = "", Runtime = "gemini" }, ContractsJsonContext.Default.UpdateAgentRequest, Ct))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.AgentDto, Ct);
        Assert.Equal(("gemini", null, "backend"), (updated.Runtime, updated.Model, updated.Role));

        await (await user.Client.PostJsonAsync("api/agents", new CreateAgentRequest { Username = "coder-1", Runtime = "claude" }, ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.Conflict, field: "username", cancellationToken: Ct);
        await (await user.Client.PostJsonAsync("api/agents", new CreateAgentRequest { Username = "Bad Name", Runtime = "claude" }, ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "username", Ct);
        await (await user.Client.PostJsonAsync("api/agents", new CreateAgentRequest { Username = "ok", Runtime = "hermes" }, ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "runtime", Ct);
        await (await user.Client.PostJsonAsync("api/agents", new CreateAgentRequest { Username = "ok", Runtime = "claude", Kind = "boss" }, ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "kind", Ct);

        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, "coder-1", cancellationToken: Ct);
        await (await user.Client.DeleteAsync($"api/agents/{worker.Id}", Ct)).ExpectAsync(HttpStatusCode.NoContent, Ct);
        await (await user.Client.GetAsync("api/agents/coder-1", Ct)).ReadErrorAsync(HttpStatusCode.NotFound, cancellationToken: Ct);
        Assert.Null((await user.GetTaskAsync(task.Id, Ct)).AssignedTo);
    }
}

public sealed class BoardsReposAgentsSqliteTests(SqliteServerFixture fixture) : BoardsReposAgentsTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class BoardsReposAgentsPostgresTests(PostgresServerFixture fixture) : BoardsReposAgentsTests(fixture), IClassFixture<PostgresServerFixture>;
