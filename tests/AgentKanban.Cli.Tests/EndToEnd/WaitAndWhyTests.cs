using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.EndToEnd;

public sealed class WaitAndWhyTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private AkCli Ak => server.UserCli(_home);

    private async Task<string> BoardAsync()
    {
        var name = Json.Unique("ops");
        await Ak.OkAsync("create", "board", "--name", name, "--type", "ops");
        return name;
    }

    [Fact]
    public async Task Wait_returns_when_the_task_gets_there()
    {
        var board = await BoardAsync();
        var id = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "Watch me", "-o", "json"));

        var waiting = Ak.Start(TestContext.Current.CancellationToken, "wait", "task", id, "--until", "cancelled", "--timeout", "2m");
        // The waiter prints the current status once it has read the task; the change comes after that.
        await waiting.WhenWrittenAsync($"[todo] {id}");
        await Ak.OkAsync("task", "cancel", id);
        var result = await waiting.Completion;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"[cancelled] {id} Watch me", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_for_a_status_already_reached_returns_at_once_and_json_prints_the_task()
    {
        var board = await BoardAsync();
        var id = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "Already", "-o", "json"));

        var result = await Ak.OkAsync("wait", "task", id, "--until", "todo", "-o", "json");

        Assert.Equal(id, Json.Object(result).Str("id"));
    }

    [Fact]
    public async Task Wait_fails_on_timeout_and_on_a_terminal_status_that_is_not_the_target()
    {
        var board = await BoardAsync();
        var id = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "Stuck", "-o", "json"));

        var timedOut = await Ak.RunAsync("wait", "task", id, "--until", "done", "--timeout", "1s");
        await Ak.OkAsync("task", "cancel", id);
        var never = await Ak.RunAsync("wait", "task", id, "--until", "done");

        Assert.Equal(124, timedOut.ExitCode);
        Assert.Contains("timed out after 1s", timedOut.Err, StringComparison.Ordinal);
        Assert.Equal(1, never.ExitCode);
        Assert.Contains("it will never be done", never.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Why_explains_blocked_scheduled_and_unassigned_tasks()
    {
        var board = await BoardAsync();
        var agentName = Json.Unique("gemini");
        await Ak.OkAsync("create", "agent", "--username", agentName, "--runtime", "gemini");
        var first = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "Prerequisite", "-o", "json"));
        var blocked = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "After", "--depends-on", first, "--assign-to", agentName, "-o", "json"));
        var later = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "Later", "--assign-to", agentName,
            "--scheduled-at", "2999-01-01T00:00:00Z", "-o", "json"));
        var waiting = Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", "Ready", "--assign-to", agentName, "-o", "json"));

        var unassigned = (await Ak.OkAsync("why", first)).Out;
        var blockedWhy = (await Ak.OkAsync("why", blocked)).Out;
        var laterWhy = (await Ak.OkAsync("why", later)).Out;
        var waitingWhy = Json.Object(await Ak.OkAsync("why", waiting, "-o", "json"));

        Assert.Contains("not assigned to an agent", unassigned, StringComparison.Ordinal);
        Assert.Contains($"blocked by {first} (todo: Prerequisite)", blockedWhy, StringComparison.Ordinal);
        Assert.Contains("scheduled for 2999-01-01 00:00:00Z", laterWhy, StringComparison.Ordinal);
        Assert.Equal("todo", waitingWhy.Str("status"));
        Assert.StartsWith("waiting for a machine", waitingWhy["reasons"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
