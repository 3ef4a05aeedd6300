using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.EndToEnd;

/// <summary>
/// <c>ak wait task|board|pr</c> against a real server and its event streams. A waiter that must see a change (not just
/// the state it starts in) is started, and the test waits for the line it prints once it watches, before making the
/// change. Time limits here are short only where the outcome is the timeout itself.
/// </summary>
public sealed class WaitCommandTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private AkCli Ak => server.UserCli(_home);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> BoardAsync()
    {
        var name = Json.Unique("wait");
        await Ak.OkAsync("create", "board", "--name", name, "--type", "ops");
        return name;
    }

    private async Task<string> TaskAsync(string board, string title, params string[] more) =>
        Json.Id(await Ak.OkAsync(["create", "task", "--board", board, "--title", title, "-o", "json", .. more]));

    /// <summary>Takes a task the whole way to done as an agent and a user would: claim, review with a PR, complete.</summary>
    private async Task FinishAsync(string taskId, string prUrl)
    {
        var agentName = Json.Unique("claude");
        var agentId = Json.Id(await Ak.OkAsync("create", "agent", "--username", agentName, "--runtime", "claude", "-o", "json"));
        await Ak.OkAsync("update", "task", taskId, "--assign-to", agentName);
        var identity = await server.StartAgentSessionAsync(taskId, agentId, Ct);
        var agent = new AkCli(_home.Path).With(identity.Env(server.Url));
        await agent.OkAsync("task", "claim");
        await agent.OkAsync("task", "review", "--pr-url", prUrl);
        await Ak.OkAsync("task", "complete", taskId);
    }

    // ----- ak wait task -----

    [Fact]
    public async Task Wait_task_follows_a_task_through_its_lifecycle_to_done()
    {
        var board = await BoardAsync();
        var id = await TaskAsync(board, "Ship it");

        var waiting = Ak.Start(Ct, "wait", "task", id, "--timeout", "2m");
        await waiting.WhenWrittenAsync($"[todo] {id}");
        await FinishAsync(id, "https://github.com/acme/web/pull/9");
        var result = await waiting.Completion;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"[done] {id} Ship it PR=https://github.com/acme/web/pull/9", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_task_with_several_ids_returns_when_all_got_there_and_counts_on_stderr()
    {
        var board = await BoardAsync();
        var first = await TaskAsync(board, "One");
        var second = await TaskAsync(board, "Two");

        var waiting = Ak.Start(Ct, "wait", "task", first, second, "--until", "cancelled", "--timeout", "2m");
        await waiting.WhenWrittenAsync($"[todo] {second}");
        await Ak.OkAsync("task", "cancel", first);
        await waiting.Err.WhenWrittenAsync("1/2 cancelled");
        await Ak.OkAsync("task", "cancel", second);
        var result = await waiting.Completion;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"[cancelled] {first} One", result.Out, StringComparison.Ordinal);
        Assert.Contains($"[cancelled] {second} Two", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_task_with_several_ids_prints_a_json_array()
    {
        var board = await BoardAsync();
        var first = await TaskAsync(board, "One");
        var second = await TaskAsync(board, "Two");

        var result = await Ak.OkAsync("wait", "task", first, second, first, "--until", "todo", "-o", "json");

        Assert.Equal([first, second], Json.Array(result).Select(t => t!.Str("id")));
        Assert.Equal("", result.Err);
    }

    [Fact]
    public async Task Wait_task_is_unreachable_when_one_of_the_tasks_is_cancelled()
    {
        var board = await BoardAsync();
        var first = await TaskAsync(board, "Keeps going");
        var second = await TaskAsync(board, "Dropped");

        var waiting = Ak.Start(Ct, "wait", "task", first, second, "--timeout", "2m");
        await waiting.WhenWrittenAsync($"[todo] {second}");
        await Ak.OkAsync("task", "cancel", second);
        var result = await waiting.Completion;

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"[cancelled] {second} Dropped", result.Out, StringComparison.Ordinal);
        Assert.Contains($"error: task {second} is cancelled; it will never be done", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_task_is_unreachable_when_the_task_is_deleted()
    {
        var board = await BoardAsync();
        var id = await TaskAsync(board, "Short-lived");

        var waiting = Ak.Start(Ct, "wait", "task", id, "--timeout", "2m");
        await waiting.WhenWrittenAsync($"[todo] {id}");
        await Ak.OkAsync("delete", "task", id);
        var result = await waiting.Completion;

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: task {id} was deleted; it will never be done", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_task_times_out_with_124_and_says_where_things_stand()
    {
        var board = await BoardAsync();
        var first = await TaskAsync(board, "Slow");
        var second = await TaskAsync(board, "Slower");

        var result = await Ak.RunAsync("wait", "task", first, second, "--until", "in_review", "--timeout", "1s");

        Assert.Equal(124, result.ExitCode);
        Assert.Contains($"error: timed out after 1s waiting for 2 tasks to be in_review (0/2 in_review; {first} is todo, {second} is todo)",
            result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_task_without_an_id_uses_the_session_task_and_fails_on_an_unknown_one()
    {
        var board = await BoardAsync();
        var id = await TaskAsync(board, "Mine");

        var fromEnv = await Ak.With(("AK_TASK_ID", id)).RunAsync("wait", "task", "--until", "todo", "-o", "json");
        var unknown = await Ak.RunAsync("wait", "task", "nosuchtask");
        var none = await Ak.RunAsync("wait", "task");

        Assert.Equal(id, Json.Object(fromEnv).Str("id"));
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("error: ", unknown.Err, StringComparison.Ordinal);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("AK_TASK_ID", none.Err, StringComparison.Ordinal);
    }

    // ----- ak wait board -----

    [Fact]
    public async Task Wait_board_all_done_counts_the_selected_tasks_until_every_one_is_finished()
    {
        var board = await BoardAsync();
        await Ak.OkAsync("create", "label", "--board", board, "--name", "release", "--color", "#D73A4A");
        var shipped = await TaskAsync(board, "Shipped", "--labels", "release");
        var dropped = await TaskAsync(board, "Dropped", "--labels", "release");
        await TaskAsync(board, "Not in the release"); // no label: not waited for

        var waiting = Ak.Start(Ct, "wait", "board", board, "--label", "release", "--timeout", "2m");
        await waiting.Err.WhenWrittenAsync($"waiting for every task to be done (or cancelled) on board {board} (0/2 done)");
        await Ak.OkAsync("task", "cancel", dropped);
        await waiting.Err.WhenWrittenAsync("1/2 done");
        await FinishAsync(shipped, "https://github.com/acme/web/pull/10");
        var result = await waiting.Completion;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"[cancelled] {dropped} Dropped", result.Out, StringComparison.Ordinal);
        Assert.Contains($"[done] {shipped} Shipped PR=https://github.com/acme/web/pull/10", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_board_all_done_on_a_finished_board_prints_its_tasks_as_json_at_once()
    {
        var board = await BoardAsync();
        var id = await TaskAsync(board, "Gone");
        await Ak.OkAsync("task", "cancel", id);

        var result = await Ak.OkAsync("wait", "board", board, "--until", "all-done", "-o", "json");

        Assert.Equal([id], Json.Array(result).Select(t => t!.Str("id")));
    }

    [Fact]
    public async Task Wait_board_all_status_is_unreachable_once_a_task_is_cancelled()
    {
        var board = await BoardAsync();
        await TaskAsync(board, "Stays");
        var dropped = await TaskAsync(board, "Dropped");

        var waiting = Ak.Start(Ct, "wait", "board", board, "--until", "all-in_review", "--timeout", "2m");
        await waiting.Err.WhenWrittenAsync("(0/2 in_review)");
        await Ak.OkAsync("task", "cancel", dropped);
        var result = await waiting.Completion;

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: task {dropped} is cancelled; not every task on board {board} can be in_review", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_board_first_match_returns_the_first_task_that_changes_into_a_filter_status()
    {
        var board = await BoardAsync();
        var id = await TaskAsync(board, "Watched");

        var waiting = Ak.Start(Ct, "wait", "board", board, "--filter", "in_review,cancelled", "--timeout", "2m");
        await waiting.Err.WhenWrittenAsync($"waiting for the first task to be in_review or cancelled on board {board}");
        await Ak.OkAsync("task", "cancel", id);
        var result = await waiting.Completion;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"[cancelled] {id} Watched", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_board_first_match_without_current_tasks_waits_for_a_new_one()
    {
        var board = await BoardAsync();
        await TaskAsync(board, "Already here");

        var waiting = Ak.Start(Ct, "wait", "board", board, "--until", "first-match", "--timeout", "2m");
        await waiting.Err.WhenWrittenAsync($"waiting for the first task that changes on board {board}");
        var created = await TaskAsync(board, "Newcomer");
        var result = await waiting.Completion;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"[todo] {created} Newcomer", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Already here", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_board_until_a_status_counts_a_task_already_there_and_prints_it_as_json()
    {
        var board = await BoardAsync();
        await TaskAsync(board, "Open");
        var cancelled = await TaskAsync(board, "Closed");
        await Ak.OkAsync("task", "cancel", cancelled);

        var result = await Ak.OkAsync("wait", "board", board, "--until", "cancelled", "-o", "json");

        Assert.Equal(cancelled, Json.Object(result).Str("id"));
    }

    [Fact]
    public async Task Wait_board_times_out_with_124()
    {
        var board = await BoardAsync();
        await TaskAsync(board, "Never finished");

        var result = await Ak.RunAsync("wait", "board", board, "--timeout", "1s");

        Assert.Equal(124, result.ExitCode);
        Assert.Contains($"error: timed out after 1s waiting for every task to be done (or cancelled) on board {board} (0/1 done)",
            result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_board_fails_on_an_unknown_board()
    {
        var result = await Ak.RunAsync("wait", "board", Json.Unique("nowhere"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: no board", result.Err, StringComparison.Ordinal);
    }

    // ----- ak wait pr -----

    private async Task<string> TaskWithPrAsync(string url = "https://github.com/acme/web/pull/42")
    {
        var board = await BoardAsync();
        var id = await TaskAsync(board, "With a PR");
        await Ak.OkAsync("update", "task", id, "--pr-url", url);
        return id;
    }

    [Fact]
    public async Task Wait_pr_passes_when_every_check_passed_after_some_were_pending()
    {
        using var gh = new FakeGh();
        var id = await TaskWithPrAsync();
        gh.NoChecks(1);
        gh.Checks(2, $"[{FakeGh.Check("build", "pass")},{FakeGh.Check("test", "pending")}]");
        gh.Checks($"[{FakeGh.Check("build", "pass")},{FakeGh.Check("test", "pass")},{FakeGh.Check("docs", "skipping")}]");

        var result = await Ak.With(("PATH", gh.SearchPath)).RunAsync("wait", "pr", id, "--interval", "1s", "--timeout", "2m");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("no checks reported yet", result.Err, StringComparison.Ordinal);
        Assert.Contains("checks: 1/2 passed, waiting for test", result.Err, StringComparison.Ordinal);
        Assert.Contains("[pass] test https://ci.example/test", result.Out, StringComparison.Ordinal);
        Assert.Contains("[skipping] docs", result.Out, StringComparison.Ordinal);
        Assert.Contains("pr checks https://github.com/acme/web/pull/42 --json name,state,bucket,link", gh.Calls);
        Assert.Contains("pr view https://github.com/acme/web/pull/42 --json state", gh.Calls);
        Assert.Equal(3, gh.Calls.Count(c => c.StartsWith("pr checks", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Wait_pr_fails_naming_the_failed_check()
    {
        using var gh = new FakeGh();
        var id = await TaskWithPrAsync();
        gh.Checks($"[{FakeGh.Check("build", "pass")},{FakeGh.Check("lint", "fail")}]");

        var result = await Ak.With(("PATH", gh.SearchPath)).RunAsync("wait", "pr", id, "-o", "json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: check 'lint' failed: https://ci.example/lint", result.Err, StringComparison.Ordinal);
        var json = Json.Object(result);
        Assert.Equal("https://github.com/acme/web/pull/42", json.Str("pr_url"));
        Assert.Equal(["pass", "fail"], json["checks"]!.AsArray().Select(c => c!.Str("bucket")));
    }

    [Fact]
    public async Task Wait_pr_fails_when_the_pull_request_was_closed()
    {
        using var gh = new FakeGh();
        var id = await TaskWithPrAsync();
        gh.State("CLOSED");

        var result = await Ak.With(("PATH", gh.SearchPath)).RunAsync("wait", "pr", id);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: pull request https://github.com/acme/web/pull/42 was closed without merging", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_pr_times_out_with_124_while_checks_stay_pending()
    {
        using var gh = new FakeGh();
        var id = await TaskWithPrAsync();
        gh.Checks($"[{FakeGh.Check("build", "pending")}]");

        var result = await Ak.With(("PATH", gh.SearchPath)).RunAsync("wait", "pr", id, "--interval", "1s", "--timeout", "2s");

        Assert.Equal(124, result.ExitCode);
        Assert.Contains("error: timed out after 2s waiting for the checks of https://github.com/acme/web/pull/42 (checks: 0/1 passed, waiting for build)",
            result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_pr_fails_without_a_pull_request_or_without_gh()
    {
        using var gh = new FakeGh();
        var board = await BoardAsync();
        var bare = await TaskAsync(board, "No PR yet");
        var withPr = await TaskWithPrAsync();

        var noPr = await Ak.With(("PATH", gh.SearchPath)).RunAsync("wait", "pr", bare);
        var noGh = await Ak.With(("PATH", _home.Path)).RunAsync("wait", "pr", withPr);

        Assert.Equal(1, noPr.ExitCode);
        Assert.Contains($"error: task {bare} has no pull request", noPr.Err, StringComparison.Ordinal);
        Assert.Empty(gh.Calls);
        Assert.Equal(1, noGh.ExitCode);
        Assert.Contains("gh (the GitHub CLI) was not found on PATH", noGh.Err, StringComparison.Ordinal);
    }

    // ----- usage -----

    [Theory]
    [InlineData("wait", "board", "b", "--until", "all-nope")]
    [InlineData("wait", "board", "b", "--until", "sometimes")]
    [InlineData("wait", "board", "b", "--until", "all-done", "--filter", "todo")]
    [InlineData("wait", "board", "b", "--until", "all-done", "--include-current")]
    [InlineData("wait", "board", "b", "--filter", "todo,nope")]
    [InlineData("wait", "board", "b", "--until", "done", "--filter", "todo")]
    [InlineData("wait", "board", "b", "--timeout", "soon")]
    [InlineData("wait", "board")]
    [InlineData("wait", "task", "t", "--until", "finished")]
    [InlineData("wait", "task", "t", "--timeout", "-5s")]
    [InlineData("wait", "pr", "t", "--interval", "100ms")]
    [InlineData("wait", "pr", "t", "--interval", "often")]
    [InlineData("wait")]
    public async Task Bad_wait_command_lines_exit_2_before_asking_anything(params string[] args)
    {
        var result = await Ak.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_help_shows_examples_for_each_form()
    {
        foreach (var form in new[] { "task", "board", "pr" })
        {
            var help = await Ak.OkAsync("wait", form, "--help");

            Assert.Contains("Examples:", help.Out, StringComparison.Ordinal);
            Assert.Contains($"ak wait {form} ", help.Out, StringComparison.Ordinal);
            Assert.Contains("124", help.Out, StringComparison.Ordinal);
        }
    }
}
