using System.Text.Json;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Process;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.ClaudeCode;

/// <summary>Args builder + process runner + parser together, with the fake agent standing in for the claude executable.</summary>
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
        var launch = new ClaudeLaunch { Prompt = "Task ID: t-1", SessionId = SessionId, Executable = FakeAgentCli.Apphost };

        await using var process = AgentProcess.Start(ClaudeCodeRuntime.ProcessOptions(launch, _dir.Path, env, runningAsRoot: false));
        var skipped = new List<SkippedLine>();
        var events = new List<AgentEvent>();
        await foreach (var e in process.ReadEventsAsync(ClaudeCodeRuntime.CreateParser(), skipped.Add, Ct))
        {
            events.Add(e);
        }

        Assert.Empty(skipped);
        Assert.Equal(new SessionInitialized(SessionId, "fake-model", Path.GetFullPath(_dir.Path)), events[0]);
        Assert.Contains(new TextBlock("working on it"), events);
        var end = Assert.IsType<TurnEnded>(events[^1]);
        Assert.Equal(new TurnEnded(false, new TokenUsage(10, 20, 30, 40), 0.25m, SessionId, "success", "done", 1, null), end);
        Assert.True((await process.Exited.WaitAsync(Processes.Patience, Ct)).Succeeded);

        var args = JsonSerializer.Deserialize<string[]>((await File.ReadAllLinesAsync(argsFile, Ct)).Single())!;
        Assert.Equal(["--session-id", SessionId], args.SkipWhile(a => a != "--session-id").Take(2));
        Assert.Equal(["--", "Task ID: t-1"], args.TakeLast(2));
    }

    [Fact]
    public async Task A_rate_limited_resume_reports_the_rejection_once()
    {
        var env = FakeAgentCli.BaseEnvironment();
        env["FAKE_AGENT_STEPS"] = JsonSerializer.Serialize(new[] { "claude-init", "claude-rate-limit", "1764003600" });
        var launch = new ClaudeLaunch { Prompt = "Continue.", SessionId = SessionId, Resume = true, Executable = FakeAgentCli.Apphost };

        await using var process = AgentProcess.Start(ClaudeCodeRuntime.ProcessOptions(launch, _dir.Path, env, runningAsRoot: false));
        var events = new List<AgentEvent>();
        await foreach (var e in process.ReadEventsAsync(ClaudeCodeRuntime.CreateParser(), cancellationToken: Ct))
        {
            events.Add(e);
        }

        var limit = Assert.Single(events.OfType<RateLimitEvent>());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764003600), limit.ResetsAt);
        Assert.Empty(events.OfType<AgentError>()); // the fallback was superseded by the structured event
        Assert.Equal(SessionId, Assert.IsType<SessionInitialized>(events[0]).ProviderSessionId);
        Assert.Equal(1, (await process.Exited.WaitAsync(Processes.Patience, Ct)).ExitCode);
    }

    [Fact]
    public async Task Garbage_lines_are_reported_as_skipped_and_the_stream_goes_on()
    {
        var env = FakeAgentCli.BaseEnvironment();
        env["FAKE_AGENT_STEPS"] = JsonSerializer.Serialize(new[] { "claude-init", "malformed", "binary", "10", "huge", "9", "claude-result" });
        var launch = new ClaudeLaunch { Prompt = "x", SessionId = SessionId, Executable = FakeAgentCli.Apphost };

        await using var process = AgentProcess.Start(ClaudeCodeRuntime.ProcessOptions(launch, _dir.Path, env, runningAsRoot: false));
        var skipped = new List<SkippedLine>();
        var events = new List<AgentEvent>();
        await foreach (var e in process.ReadEventsAsync(ClaudeCodeRuntime.CreateParser(), skipped.Add, Ct))
        {
            events.Add(e);
        }

        Assert.Equal([LineReason.Malformed, LineReason.InvalidUtf8, LineReason.TooLong], skipped.Select(s => s.Result.Reason));
        Assert.Equal([2L, 3L, 4L], skipped.Select(s => s.Number));
        Assert.IsType<TurnEnded>(events[^1]);
    }

    [Fact]
    public void Bypass_mode_as_root_gets_the_sandbox_variable()
    {
        var launch = new ClaudeLaunch { Prompt = "x", SessionId = SessionId, Permissions = ClaudePermissions.Bypass };
        var env = new Dictionary<string, string> { ["PATH"] = "/usr/bin" };

        var asRoot = ClaudeCodeRuntime.ProcessOptions(launch, "/tmp", env, runningAsRoot: true);
        var asUser = ClaudeCodeRuntime.ProcessOptions(launch, "/tmp", env, runningAsRoot: false);

        Assert.Equal("1", asRoot.Environment["IS_SANDBOX"]);
        Assert.False(asUser.Environment.ContainsKey("IS_SANDBOX"));
        Assert.False(env.ContainsKey("IS_SANDBOX"));
        Assert.Equal("claude", asRoot.Executable);
        Assert.Null(asRoot.StandardInput);
    }
}
