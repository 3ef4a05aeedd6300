using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.EndToEnd;

/// <summary>kubectl-style resource commands against a real server: create by name, get in every format, describe, update.</summary>
public sealed class ResourceCommandsTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private AkCli Ak => server.UserCli(_home);

    [Fact]
    public async Task Create_board_repo_agent_and_task_by_name_then_get_them_in_every_format()
    {
        var boardName = Json.Unique("web");
        var repoName = Json.Unique("site");
        var agentName = Json.Unique("claude");
        var repoPath = Path.Combine(_home.Path, "site-repo");

        var board = Json.Object(await Ak.OkAsync("create", "board", "--name", boardName, "--type", "dev", "--description", "Website", "-o", "json"));
        var repo = Json.Object(await Ak.OkAsync("create", "repo", "--name", repoName, "--url", repoPath, "-o", "json"));
        var agent = Json.Object(await Ak.OkAsync("create", "agent", "--username", agentName, "--runtime", "claude", "--model", "sonnet", "-o", "json"));
        await Ak.OkAsync("create", "label", "--board", boardName, "--name", "bug", "--color", "#d73a4a");
        Assert.Equal((boardName, "dev"), (board.Str("name"), board.Str("type")));
        Assert.Equal((agentName, "worker", "claude"), (agent.Str("username"), agent.Str("kind"), agent.Str("runtime")));

        var created = await Ak.OkAsync("create", "task", "--board", boardName, "--title", "Fix login redirect", "--description", "After sign-in, go back.",
            "--repo", repoName, "--assign-to", agentName, "--labels", "bug", "-o", "json");
        var task = Json.Object(created);
        Assert.Equal(board.Str("id"), task.Str("board_id"));
        Assert.Equal(repo.Str("id"), task.Str("repository_id"));
        Assert.Equal(agent.Str("id"), task.Str("assigned_to"));
        Assert.Equal(["bug"], task.Strings("labels"));
        Assert.Equal("todo", task.Str("status"));
        Assert.False((bool)task["blocked"]!);
        var id = task.Str("id")!;

        // One object for KIND ID, an array for a list.
        var one = Json.Object(await Ak.OkAsync("get", "task", id, "-o", "json"));
        Assert.Equal(id, one.Str("id"));
        Assert.Equal("Fix login redirect", one.Str("title"));
        var list = Json.Array(await Ak.OkAsync("get", "tasks", "--board", boardName, "-o", "json"));
        Assert.Equal([id], list.Select(t => t!.Str("id")));
        Assert.Single(Json.Array(await Ak.OkAsync("get", "task", "--board", board.Str("id")!, "--assigned-to", agentName, "--status", "todo", "-o", "json")));
        Assert.Empty(Json.Array(await Ak.OkAsync("get", "tasks", "--board", boardName, "--status", "done", "-o", "json")));
        Assert.Contains(Json.Array(await Ak.OkAsync("get", "boards", "-o", "json")), b => b!.Str("id") == board.Str("id"));
        Assert.Equal(repo.Str("id"), Json.Object(await Ak.OkAsync("get", "repo", repoName, "-o", "json")).Str("id"));
        Assert.Equal(agent.Str("id"), Json.Object(await Ak.OkAsync("get", "agent", agentName, "-o", "json")).Str("id"));
        Assert.Equal("bug", Json.Array(await Ak.OkAsync("get", "labels", "--board", boardName, "-o", "json"))[0]!.Str("name"));

        var yaml = (await Ak.OkAsync("get", "tasks", "--board", boardName, "-o", "yaml")).Out;
        Assert.StartsWith("---", yaml, StringComparison.Ordinal);
        Assert.Contains("kind: Task", yaml, StringComparison.Ordinal);
        Assert.Contains($"id: {id}", yaml, StringComparison.Ordinal);

        var table = (await Ak.OkAsync("get", "tasks", "--board", boardName)).Out;
        Assert.StartsWith("ID", table, StringComparison.Ordinal);
        Assert.Contains(agentName, table, StringComparison.Ordinal);
        var wide = (await Ak.OkAsync("get", "tasks", "--board", boardName, "-o", "wide")).Out;
        Assert.Contains("DEPENDS_ON", wide, StringComparison.Ordinal);
        Assert.Contains(repo.Str("id")!, wide, StringComparison.Ordinal);
        Assert.Equal($"task/{id}", (await Ak.OkAsync("get", "tasks", "--board", boardName, "-o", "name")).Out.Trim());
    }

    [Fact]
    public async Task Describe_shows_fields_activity_and_messages()
    {
        var boardName = Json.Unique("ops");
        await Ak.OkAsync("create", "board", "--name", boardName, "--type", "ops");
        var id = Json.Id(await Ak.OkAsync("create", "task", "--board", boardName, "--title", "Rotate keys", "--description", "All of them.", "-o", "json"));
        await Ak.OkAsync("task", "note", id, "checked the vault");
        await Ak.OkAsync("task", "message", id, "please hurry");

        var page = (await Ak.OkAsync("describe", "task", id)).Out;

        Assert.Contains("Rotate keys", page, StringComparison.Ordinal);
        Assert.Contains($"{boardName} (", page, StringComparison.Ordinal);
        Assert.Contains("All of them.", page, StringComparison.Ordinal);
        Assert.Contains("Activity:", page, StringComparison.Ordinal);
        Assert.Contains("checked the vault", page, StringComparison.Ordinal);
        Assert.Contains("Messages:", page, StringComparison.Ordinal);
        Assert.Contains("please hurry", page, StringComparison.Ordinal);

        var boardPage = (await Ak.OkAsync("describe", "board", boardName)).Out;
        Assert.Contains("todo (1):", boardPage, StringComparison.Ordinal);
        Assert.Contains(id, boardPage, StringComparison.Ordinal);
        Assert.Equal(id, Json.Object(await Ak.OkAsync("describe", "task", id, "-o", "json")).Str("id"));
    }

    [Fact]
    public async Task Update_with_a_dependency_cycle_fails_with_the_servers_message()
    {
        var boardName = Json.Unique("ops");
        await Ak.OkAsync("create", "board", "--name", boardName, "--type", "ops");
        var first = Json.Id(await Ak.OkAsync("create", "task", "--board", boardName, "--title", "First", "-o", "json"));
        var second = Json.Id(await Ak.OkAsync("create", "task", "--board", boardName, "--title", "Second", "--depends-on", first, "-o", "json"));
        Assert.True((bool)Json.Object(await Ak.OkAsync("get", "task", second, "-o", "json"))["blocked"]!);

        var cycle = await Ak.RunAsync("update", "task", first, "--depends-on", second);

        Assert.Equal(1, cycle.ExitCode);
        Assert.StartsWith("error: ", cycle.Err, StringComparison.Ordinal);
        Assert.Contains("ycle", cycle.Err, StringComparison.Ordinal); // "Circular…"/"cycle" is the server's wording
        Assert.DoesNotContain("   at ", cycle.Err, StringComparison.Ordinal);
        Assert.Equal("", cycle.Out);
        Assert.Empty(Json.Object(await Ak.OkAsync("get", "task", first, "-o", "json")).Strings("depends_on")); // nothing changed

        var renamed = Json.Object(await Ak.OkAsync("update", "task", second, "--title", "Second, renamed", "--depends-on", "", "-o", "json"));
        Assert.Equal("Second, renamed", renamed.Str("title"));
        Assert.Empty(renamed.Strings("depends_on"));
        Assert.False((bool)renamed["blocked"]!);
    }

    [Fact]
    public async Task Update_and_delete_boards_agents_and_tasks()
    {
        var boardName = Json.Unique("ops");
        var agentName = Json.Unique("codex");
        await Ak.OkAsync("create", "board", "--name", boardName, "--type", "ops");
        await Ak.OkAsync("create", "agent", "--username", agentName, "--runtime", "codex");

        var board = Json.Object(await Ak.OkAsync("update", "board", boardName, "--description", "Operations", "-o", "json"));
        var agent = Json.Object(await Ak.OkAsync("update", "agent", agentName, "--model", "gpt-5", "--role", "ops", "-o", "json"));
        Assert.Equal("Operations", board.Str("description"));
        Assert.Equal(("gpt-5", "ops"), (agent.Str("model"), agent.Str("role")));

        var id = Json.Id(await Ak.OkAsync("create", "task", "--board", boardName, "--title", "Temp", "--assign-to", agentName, "-o", "json"));
        Assert.Equal($"task/{id} deleted", (await Ak.OkAsync("delete", "task", id)).Out.Trim());
        var gone = await Ak.RunAsync("get", "task", id);
        Assert.Equal(1, gone.ExitCode);
        Assert.StartsWith("error: ", gone.Err, StringComparison.Ordinal);

        await Ak.OkAsync("delete", "agent", agentName);
        await Ak.OkAsync("delete", "board", boardName);
        Assert.Equal(1, (await Ak.RunAsync("get", "board", boardName)).ExitCode);
    }

    [Fact]
    public async Task Server_errors_are_one_clear_line_and_usage_errors_exit_2()
    {
        var missing = await Ak.RunAsync("get", "task", "doesnotexist");
        var badFlag = await Ak.RunAsync("get", "tasks", "--colour", "red");
        var badKind = await Ak.RunAsync("create", "board", "--name", Json.Unique("x"), "--type", "prod");
        var noCreds = await new AkCli(_home.Path, new Dictionary<string, string?> { ["AK_SERVER"] = server.Url }).RunAsync("get", "boards");

        Assert.Equal(1, missing.ExitCode);
        Assert.Single(missing.Err.Trim().Split('\n'));
        Assert.StartsWith("error: ", missing.Err, StringComparison.Ordinal);
        Assert.Equal(2, badFlag.ExitCode);
        Assert.Contains("--colour", badFlag.Err, StringComparison.Ordinal);
        Assert.Contains("--help", badFlag.Err, StringComparison.Ordinal);
        Assert.Equal(2, badKind.ExitCode);
        Assert.Equal(1, noCreds.ExitCode);
        Assert.StartsWith("error: ", noCreds.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_board_needs_a_repository_and_the_server_says_so()
    {
        var boardName = Json.Unique("dev");
        await Ak.OkAsync("create", "board", "--name", boardName, "--type", "dev");

        var result = await Ak.RunAsync("create", "task", "--board", boardName, "--title", "No repo");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("repositor", result.Err, StringComparison.OrdinalIgnoreCase);
    }
}
