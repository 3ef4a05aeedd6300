using System.Text.Json;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;

namespace AgentKanban.Agents.Tests.ClaudeCode;

/// <summary>The Claude runtime through the daemon's seam (args, process, parser together), with the fake agent standing in for claude.</summary>
public sealed class ClaudeCodeRuntimeTests : IDisposable
{
    private const string SessionId = "6f1c2a3e-0000-4000-8000-0000000000aa";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_run_starts_with_the_chosen_session_id_and_reports_its_events()
    {
        var argsFile = _dir.File("args.jsonl");
        var env = FakeAgentCli.BaseEnvironment();
        env["FAKE_AGENT_ARGS_FILE"] = argsFile;
        env["FAKE_AGENT_STEPS"] = JsonSerializer.Serialize(new[] { "claude-init", "claude-text", "working on it", "claude-result" });
        var spec = AgentRuns.Spec(RuntimeNames.Claude, FakeAgentCli.Apphost, _dir.Path, "Task ID: t-1", env, SessionId);

        await using var process = ClaudeCodeRuntime.Instance.Start(spec, AgentRuns.Host);
        var (events, skipped, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Empty(skipped);
        Assert.Equal(new SessionInitialized(SessionId, "fake-model", Path.GetFullPath(_dir.Path)), events[0]);
        Assert.Contains(new TextBlock("working on it"), events);
        var end = Assert.IsType<TurnEnded>(events[^1]);
        Assert.Equal(new TurnEnded(false, new TokenUsage(10, 20, 30, 40), 0.25m, SessionId, "success", "done", 1, null), end);
        Assert.Equal(RunExit.Clean, exit.Kind);

        var args = JsonSerializer.Deserialize<string[]>((await File.ReadAllLinesAsync(argsFile, Ct)).Single())!;
        Assert.Equal(["--session-id", SessionId], args.SkipWhile(a => a != "--session-id").Take(2));
        Assert.Contains("stream-json", args.SkipWhile(a => a != "--input-format").Take(2));
    }

    [Fact]
    public async Task A_rate_limited_resume_reports_the_rejection_once()
    {
        var env = FakeAgentCli.BaseEnvironment();
        env["FAKE_AGENT_STEPS"] = JsonSerializer.Serialize(new[] { "claude-init", "claude-rate-limit", "1764003600" });
        var spec = AgentRuns.Spec(RuntimeNames.Claude, FakeAgentCli.Apphost, _dir.Path, "Continue.", env, resumeToken: SessionId);

        await using var process = ClaudeCodeRuntime.Instance.Start(spec, AgentRuns.Host);
        var (events, _, exit) = await AgentRuns.CollectAsync(process, Ct);

        var limit = Assert.Single(events.OfType<RateLimitEvent>());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764003600), limit.ResetsAt);
        Assert.Empty(events.OfType<AgentError>()); // the fallback was superseded by the structured event
        Assert.Equal(SessionId, Assert.IsType<SessionInitialized>(events[0]).ProviderSessionId);
        Assert.Equal(1, exit.ExitCode);
    }

    [Fact]
    public async Task Garbage_lines_are_reported_as_skipped_and_the_stream_goes_on()
    {
        var env = FakeAgentCli.BaseEnvironment();
        env["FAKE_AGENT_STEPS"] = JsonSerializer.Serialize(new[] { "claude-init", "malformed", "binary", "10", "huge", "9", "claude-result" });
        var spec = AgentRuns.Spec(RuntimeNames.Claude, FakeAgentCli.Apphost, _dir.Path, "x", env);

        await using var process = ClaudeCodeRuntime.Instance.Start(spec, AgentRuns.Host);
        var (events, skipped, _) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Equal(3, skipped.Count);
        Assert.StartsWith("line 2: Malformed", skipped[0], StringComparison.Ordinal);
        Assert.Equal("line 3 is not UTF-8 text (binary output)", skipped[1]);
        Assert.StartsWith("line 4 of ", skipped[2], StringComparison.Ordinal);
        Assert.IsType<TurnEnded>(events[^1]);
    }

    [Fact]
    public void Bypass_mode_as_root_gets_the_sandbox_variable()
    {
        var env = new Dictionary<string, string> { ["PATH"] = "/usr/bin" };
        var spec = AgentRuns.Spec(RuntimeNames.Claude, "/opt/claude", "/tmp", "x", env, permissionMode: "bypassPermissions");

        var asRoot = ClaudeCodeRuntime.ProcessOptions(spec, runningAsRoot: true);
        var asUser = ClaudeCodeRuntime.ProcessOptions(spec, runningAsRoot: false);

        Assert.Equal("1", asRoot.Environment["IS_SANDBOX"]);
        Assert.False(asUser.Environment.ContainsKey("IS_SANDBOX"));
        Assert.False(env.ContainsKey("IS_SANDBOX"));
        Assert.Equal("/opt/claude", asRoot.Executable);
        Assert.True(asRoot.KeepStandardInputOpen);
        Assert.NotNull(asRoot.StandardInput);
    }
}
