using System.Globalization;
using System.Text.Json.Nodes;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// The agent sandbox with the real Claude Code CLI: one Bash step of the agent tries to read what it must not — the
/// daemon's state dir (machine key, every session's key), the CLI config with the user's token, every process's
/// environment (the daemon's holds that token) and another session's worktree — and gets nothing, while the same
/// agent still claims, commits, calls <c>ak</c> and reaches review. The same probe without the sandbox reads them all,
/// which shows the probe can tell.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class SandboxWithRealCliTests
{
    private const string UserToken = "akp_the_users_own_token_in_the_cli_config";

    [Fact]
    public async Task A_sandboxed_agent_reads_nothing_of_the_daemon_the_user_or_other_sessions_and_still_reaches_review()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var (otherWorktree, config) = PlantSecrets(env);
        var script = new ScriptedAgent(
            Step("Claiming.", "ak task claim"),
            Step("Looking around.", Snoop(env, otherWorktree, config)),
            Step(null, "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt' && ak task note committed"),
            Step(null, "ak task review"),
            FakeReply.Text("In review."));
        var task = await env.CreateTaskAsync("look around, then write hello.txt", script);

        env.StartDaemon();
        await env.WaitForStatusAsync(task.Id, "in_review");

        var seen = SnoopResult(await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 3 } all ? all : null), "the snooping step's result"));
        // Only what this session needs: its worktree, the repository it commits into, its temp dir.
        Assert.Equal("repos tmp worktrees", Line(seen, "state-top"));
        Assert.Equal(Path.GetFileName((await env.WorkspaceOfAsync(task.Id)).Workspace), Line(seen, "worktrees"));
        Assert.Equal("unreadable", Line(seen, "config"));
        Assert.Equal("unreadable", Line(seen, "database"));
        Assert.Equal("unreadable", Line(seen, "other-worktree"));
        Assert.Equal("0", Line(seen, "environ-tokens"));
        Assert.InRange(int.Parse(Line(seen, "processes"), CultureInfo.InvariantCulture), 1, 30);
        Assert.Equal("", Line(seen, "token-variables"));
        Assert.Equal("ok", Line(seen, "tmp"));

        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);
        Assert.Equal("hello\n", await RealDaemonEnvironment.GitAsync(workspace, "show", branch + ":hello.txt"));
        var calls = script.Calls();
        Assert.All(calls.Skip(1).SelectMany(c => c.ToolResults).ToList(), r => Assert.NotEqual(true, (bool?)r["is_error"]));
    }

    [Fact]
    public async Task Without_the_sandbox_the_same_probe_reads_everything()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var (otherWorktree, config) = PlantSecrets(env);
        var script = new ScriptedAgent(
            Step("Claiming.", "ak task claim"),
            Step("Looking around.", Snoop(env, otherWorktree, config)),
            Step(null, "ak task review"),
            FakeReply.Text("In review."));
        var task = await env.CreateTaskAsync("look around", script);

        var daemon = env.StartDaemon(null, "--no-sandbox");
        await env.WaitForStatusAsync(task.Id, "in_review");

        var seen = SnoopResult(await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 3 } all ? all : null), "the snooping step's result"));
        Assert.Contains("daemon.db", Line(seen, "state-top"), StringComparison.Ordinal);
        Assert.Contains(UserToken, Line(seen, "config"), StringComparison.Ordinal);
        Assert.Equal("readable", Line(seen, "database"));
        Assert.Equal("theirs", Line(seen, "other-worktree"));
        Assert.NotEqual("0", Line(seen, "environ-tokens"));
        // The daemon's own environment, where the user's token came in.
        Assert.Equal("AK_TOKEN", Line(seen, "token-variables"));
        Assert.Contains("Agent sandbox off (--no-sandbox)", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_kill_9_of_the_daemon_every_process_of_the_sandboxed_agent_is_found_and_stopped_by_the_next_one()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var started = Path.Combine(env.Root, "helper-started");
        var script = new ScriptedAgent(
            Step("Claiming.", "ak task claim"),
            // A helper that leaves the agent's process group (as build servers and watchers do), then a long step.
            Step(null, $"setsid sleep 300 < /dev/null > /dev/null 2>&1 & touch '{started}'; sleep 100"));
        var task = await env.CreateTaskAsync("start a helper and wait", script);

        var first = env.StartDaemon();
        await env.WaitAsync(() => Task.FromResult(File.Exists(started) ? started : null), "the agent's helper to start");
        await first.KillHardAsync();
        var survivors = TestProcesses.Marked(env.Marker).Where(TestProcesses.IsAlive).ToList();
        Assert.NotEmpty(survivors);

        env.StartDaemon();
        await env.WaitAsync(() => Task.FromResult(survivors.All(p => !TestProcesses.IsAlive(p)) ? survivors : null),
            "every process of the killed daemon's agent to be stopped");
        Assert.NotNull(await env.Server.GetTaskAsync(task.Id));
    }

    [Fact]
    public async Task Where_no_sandbox_can_be_made_the_daemon_says_so_and_runs_no_agent_until_the_operator_opts_out()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var script = new ScriptedAgent(Step("Claiming.", "ak task claim"), Step(null, "ak task review"), FakeReply.Text("In review."));
        var task = await env.CreateTaskAsync("needs a sandbox", script);
        // `unshare` that fails the way it does where the kernel refuses user namespaces.
        var refusing = Path.Combine(env.Root, "unshare");
        File.WriteAllText(refusing, "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n");
        File.SetUnixFileMode(refusing, (UnixFileMode)0b111_101_101);
        var overrides = new Dictionary<string, string?> { ["AK_SANDBOX_UNSHARE"] = refusing };

        var daemon = env.StartDaemon(overrides);
        var waiting = await env.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(task.Id);
            return t.Why?.Contains("runs no agents: agents need a sandbox", StringComparison.Ordinal) == true ? t : null;
        }, "the task's why to say that no sandbox can be made");
        Assert.Equal("todo", waiting.Status);
        Assert.Contains("Operation not permitted", waiting.Why, StringComparison.Ordinal);
        Assert.Contains("Agent sandbox unavailable: user, mount and PID namespaces could not be set up: unshare: unshare failed: Operation not permitted",
            daemon.Output, StringComparison.Ordinal);
        var status = await AkAsync(env, "daemon", "status", "--state", env.StateDir);
        Assert.Contains("unavailable: user, mount and PID namespaces could not be set up", status, StringComparison.Ordinal);
        Assert.Contains("--no-sandbox", status, StringComparison.Ordinal);
        Assert.Empty(script.Calls());

        daemon.Terminate();
        await daemon.WaitForExitAsync(ct);
        env.StartDaemon(overrides, "--no-sandbox");
        await env.WaitForStatusAsync(task.Id, "in_review");
    }

    private static async Task<string> AkAsync(RealDaemonEnvironment env, params string[] arguments)
    {
        using var process = new System.Diagnostics.Process();
        process.StartInfo.FileName = RealDaemonEnvironment.AkExecutable;
        foreach (var argument in arguments)
        {
            process.StartInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in env.DaemonEnvironment())
        {
            process.StartInfo.Environment[name] = value;
        }

        process.StartInfo.RedirectStandardOutput = true;
        process.StartInfo.RedirectStandardError = true;
        process.Start();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return await output + error;
    }

    /// <summary>A token in the CLI config and a file in another session's worktree (both under the daemon's reach).</summary>
    private static (string OtherWorktree, string Config) PlantSecrets(RealDaemonEnvironment env)
    {
        var configDirectory = Directory.CreateDirectory(Path.Combine(env.Root, "config", "agent-kanban")).FullName;
        var config = Path.Combine(configDirectory, "config.json");
        File.WriteAllText(config, $$"""{"server":"{{env.Server.BaseUrl}}","token":"{{UserToken}}"}""");
        var other = Directory.CreateDirectory(Path.Combine(env.StateDir, "worktrees", "someone-elses-session")).FullName;
        File.WriteAllText(Path.Combine(other, "theirs.txt"), "theirs");
        return (other, config);
    }

    /// <summary>One line per attempt, <c>name: what was seen</c>, so the test can read the tool result back.</summary>
    private static string Snoop(RealDaemonEnvironment env, string otherWorktree, string config) => string.Join("; ",
        $"echo \"state-top: $(ls -A '{env.StateDir}' 2>/dev/null | sort | tr '\\n' ' ')\"",
        $"echo \"worktrees: $(ls -A '{env.StateDir}/worktrees' 2>/dev/null | tr '\\n' ' ')\"",
        $"echo \"config: $(cat '{config}' 2>/dev/null || echo unreadable)\"",
        $"echo \"database: $(test -r '{env.StateDir}/daemon.db' && echo readable || echo unreadable)\"",
        $"echo \"other-worktree: $(cat '{otherWorktree}/theirs.txt' 2>/dev/null || echo unreadable)\"",
        $"echo \"environ-tokens: $(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c -F '{env.Server.AdminToken}')\"",
        "echo \"processes: $(ls /proc | grep -c '^[0-9]')\"",
        $"echo \"token-variables: $(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -F '{env.Server.AdminToken}' | cut -d= -f1 | sort -u | tr '\\n' ' ')\"",
        "echo \"tmp: $(echo x > \"${TMPDIR:-/tmp}/probe\" && echo ok)\"");

    private static string SnoopResult(IReadOnlyList<RecordedRequest> calls)
    {
        var result = calls[2].ToolResults.Last();
        return result["content"] switch
        {
            JsonValue text => text.GetValue<string>(),
            JsonArray blocks => string.Concat(blocks.OfType<JsonObject>().Select(b => (string?)b["text"])),
            _ => "",
        };
    }

    private static string Line(string output, string name) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) is { } line
            ? line[(name.Length + 1)..].Trim()
            : throw new Xunit.Sdk.XunitException($"no '{name}:' line in the tool result:\n{output}");

    private static FakeMessageReply Step(string? text, string command) => ScriptedAgent.Bash(text, command);
}
