using System.Diagnostics;
using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.Executable;

/// <summary>
/// <c>ak wait</c> as the built executable (the native one when <c>AK_TEST_AK</c> is set): the event stream, the time
/// limit and the gh child process, where only a trimmed build could break them.
/// </summary>
public sealed class WaitExecutableTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private AkCli Ak => server.UserCli(_home);

    private Dictionary<string, string?> Env(string? path = null)
    {
        var env = new Dictionary<string, string?> { ["AK_SERVER"] = server.Url, ["AK_TOKEN"] = server.AdminToken };
        if (path is not null)
        {
            env["PATH"] = path;
        }

        return env;
    }

    private async Task<(string Board, string Task)> BoardWithTaskAsync(string title)
    {
        var board = Json.Unique("waitx");
        await Ak.OkAsync("create", "board", "--name", board, "--type", "ops");
        return (board, Json.Id(await Ak.OkAsync("create", "task", "--board", board, "--title", title, "-o", "json")));
    }

    [Fact]
    public async Task Wait_board_sees_a_change_on_the_event_stream_and_wait_task_times_out_with_124()
    {
        var ct = TestContext.Current.CancellationToken;
        var (board, id) = await BoardWithTaskAsync("Watched from outside");

        using var waiting = Process.Start(AkProcess.StartInfo(_home.Path,
            ["wait", "board", board, "--until", "first-match", "--filter", "cancelled", "--include-current", "false", "--timeout", "2m"], Env()))!;
        waiting.StandardInput.Close();
        var stdout = waiting.StandardOutput.ReadToEndAsync(ct);
        var seen = new List<string>();
        while (await waiting.StandardError.ReadLineAsync(ct) is { } line)
        {
            seen.Add(line);
            if (line.StartsWith("waiting for", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.True(seen.Count > 0 && seen[^1].StartsWith("waiting for", StringComparison.Ordinal), string.Join('\n', seen));
        await Ak.OkAsync("task", "cancel", id);
        var rest = waiting.StandardError.ReadToEndAsync(ct);
        await waiting.WaitForExitAsync(ct);
        var timedOut = await AkProcess.RunAsync(_home.Path, Env(), "wait", "task", id, "--until", "done", "--timeout", "1s");
        var (_, todo) = await BoardWithTaskAsync("Never done");
        var slow = await AkProcess.RunAsync(_home.Path, Env(), "wait", "task", todo, "--timeout", "1s");

        Assert.True(waiting.ExitCode == 0, $"exit {waiting.ExitCode}\n{await stdout}\n{await rest}");
        Assert.Contains($"[cancelled] {id} Watched from outside", await stdout, StringComparison.Ordinal);
        Assert.Equal(1, timedOut.ExitCode); // cancelled: it can never be done
        Assert.Contains("it will never be done", timedOut.Err, StringComparison.Ordinal);
        Assert.Equal(124, slow.ExitCode);
        Assert.Contains("timed out after 1s", slow.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_pr_runs_gh_until_the_pending_check_passed()
    {
        using var gh = new FakeGh();
        var (_, id) = await BoardWithTaskAsync("With a PR");
        await Ak.OkAsync("update", "task", id, "--pr-url", "https://github.com/acme/web/pull/5");
        gh.Checks(1, $"[{FakeGh.Check("build", "pending")}]");
        gh.Checks($"[{FakeGh.Check("build", "pass")}]");

        var result = await AkProcess.RunAsync(_home.Path, Env(gh.SearchPath), "wait", "pr", id, "--interval", "1s", "--timeout", "2m", "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = Json.Object(result);
        Assert.Equal("OPEN", json.Str("state"));
        Assert.Equal(["pass"], json["checks"]!.AsArray().Select(c => c!.Str("bucket")));
        Assert.Equal(2, gh.Calls.Count(c => c.StartsWith("pr checks https://github.com/acme/web/pull/5", StringComparison.Ordinal)));
    }
}
