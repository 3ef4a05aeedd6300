using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.EndToEnd;

public sealed class ApplyTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private AkCli Ak => server.UserCli(_home);

    [Fact]
    public async Task Multi_document_yaml_creates_everything_in_order()
    {
        var board = Json.Unique("web");
        var agent = Json.Unique("claude");
        var repoPath = Path.Combine(_home.Path, "repo");
        var file = Path.Combine(_home.Path, "setup.yaml");
        await File.WriteAllTextAsync(file, $"""
            kind: Board
            spec:
              name: {board}
              type: dev
              labels:
                - name: bug
                  color: "#d73a4a"
            ---
            kind: Repo
            spec:
              name: {board}-repo
              url: {repoPath}
            ---
            kind: Agent
            spec:
              username: {agent}
              runtime: claude
              model: sonnet
            ---
            kind: Task
            spec:
              boardId: {board}
              repo: {board}-repo
              title: First task
              assignTo: {agent}
              labels: [bug]
            """, TestContext.Current.CancellationToken);

        var result = await Ak.OkAsync("apply", "-f", file);

        var lines = result.Out.Trim().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Matches("^board/.+ created$", lines[0]);
        Assert.Matches("^repo/.+ created$", lines[1]);
        Assert.Matches("^agent/.+ created$", lines[2]);
        Assert.Matches("^task/.+ created$", lines[3]);
        var tasks = Json.Array(await Ak.OkAsync("get", "tasks", "--board", board, "-o", "json"));
        var task = Assert.Single(tasks)!;
        Assert.Equal("First task", task.Str("title"));
        Assert.Equal(["bug"], task.Strings("labels"));
    }

    [Fact]
    public async Task Yaml_from_get_applies_back_as_an_update_through_stdin()
    {
        var board = Json.Unique("ops");
        await Ak.OkAsync("create", "board", "--name", board, "--type", "ops");
        var id = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "Original title", "-o", "json"));
        var yaml = (await Ak.OkAsync("get", "task", id, "-o", "yaml")).Out;

        var edited = yaml.Replace("title: Original title", "title: 'Edited: title'", StringComparison.Ordinal);
        var applied = await Ak.RunWithInputAsync(edited, "apply", "-f", "-", "-o", "json");

        Assert.True(applied.ExitCode == 0, applied.ToString());
        var outcome = Assert.Single(Json.Array(applied))!;
        Assert.Equal(("task", id, "updated"), (outcome.Str("kind"), outcome.Str("id"), outcome.Str("action")));
        Assert.Equal("Edited: title", Json.Object(await Ak.OkAsync("get", "task", id, "-o", "json")).Str("title"));
    }

    [Fact]
    public async Task A_bad_document_anywhere_changes_nothing()
    {
        var board = Json.Unique("ops");
        var text = $"""
            kind: Board
            spec:
              name: {board}
              type: ops
            ---
            kind: Task
            spec:
              board: {board}
              titel: typo
            """;

        var result = await Ak.RunWithInputAsync(text, "apply", "-f", "-");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("document 2", result.Err, StringComparison.Ordinal);
        Assert.Contains("'titel'", result.Err, StringComparison.Ordinal);
        Assert.Equal(1, (await Ak.RunAsync("get", "board", board)).ExitCode); // the board was not created
    }

    [Fact]
    public async Task Json_documents_apply_too()
    {
        var board = Json.Unique("ops");
        var text = $$$"""[{"kind":"Board","spec":{"name":"{{{board}}}","type":"ops"}},{"kind":"Task","spec":{"board":"{{{board}}}","title":"From JSON"}}]""";

        await Ak.RunWithInputAsync(text, "apply", "-f", "-");

        Assert.Equal("From JSON", Assert.Single(Json.Array(await Ak.OkAsync("get", "tasks", "--board", board, "-o", "json")))!.Str("title"));
    }

    [Fact]
    public async Task A_missing_file_is_a_clear_error()
    {
        var result = await Ak.RunAsync("apply", "-f", Path.Combine(_home.Path, "nope.yaml"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: cannot read", result.Err, StringComparison.Ordinal);
    }
}
