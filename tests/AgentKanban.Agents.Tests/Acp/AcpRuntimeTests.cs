using System.Text.Json;
using System.Text.Json.Nodes;
using AgentKanban.Agents.Acp;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;

namespace AgentKanban.Agents.Tests.Acp;

/// <summary>The ACP runtime through the daemon's seam, with a scripted ACP agent (node) as a real process.</summary>
public sealed class AcpRuntimeTests : IDisposable
{
    private const string SessionId = "acp-session-1";
    private readonly TempDirectory _dir = new();
    private readonly string _script;
    private readonly string _log;

    public AcpRuntimeTests()
    {
        _script = FakeAcpAgent.Write(_dir.Path);
        _log = _dir.File("received.jsonl");
    }

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly object Initialized = new { on = "initialize", result = new { protocolVersion = 1, agentCapabilities = new { loadSession = true }, authMethods = Array.Empty<object>() } };

    private static readonly object NewSession = new { on = "session/new", result = new { sessionId = SessionId } };

    private static object Update(object update) => new { send = new { jsonrpc = "2.0", method = "session/update", @params = new { sessionId = SessionId, update } } };

    private static object Text(string text) => Update(new { sessionUpdate = "agent_message_chunk", content = new { type = "text", text } });

    private static readonly object Prompt = new { on = "session/prompt", hold = true };

    private static object EndTurn() => new { reply = new { result = new { stopReason = "end_turn", usage = new { inputTokens = 3, outputTokens = 4 } } } };

    private AgentLaunchSpec Spec(object[] steps, string? agentCommand = null, Dictionary<string, string>? extra = null, string? resumeToken = null)
    {
        var env = FakeAgentCli.BaseEnvironment();
        env["FAKE_ACP_STEPS"] = JsonSerializer.Serialize(steps);
        env["FAKE_ACP_LOG"] = _log;
        foreach (var (name, value) in extra ?? [])
        {
            env[name] = value;
        }

        return AgentRuns.Spec(RuntimeNames.Acp, "unused", _dir.Path, "Task ID: t-1", env, resumeToken: resumeToken) with
        {
            AgentCommand = agentCommand ?? $"node '{_script}' --flag",
        };
    }

    private List<JsonObject> Received() =>
        File.ReadAllLines(_log).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    private static async Task AssertGoneAsync(int pid)
    {
        // The group was stopped: the reaped leader has no /proc entry left (bounded wait, no sleep-as-synchronisation).
        using var patience = new CancellationTokenSource(Processes.Patience);
        while (Processes.IsAlive(pid))
        {
            await Task.Delay(20, patience.Token);
        }
    }

    [Fact]
    public async Task A_run_is_one_prompt_in_a_new_session_and_the_agent_is_stopped_after_it()
    {
        var spec = Spec([Initialized, NewSession, Prompt, Text("Hello "), Text("there."), EndTurn()]);

        await using var process = new AcpRuntime().Start(spec, AgentRuns.Host);
        var (events, skipped, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Empty(skipped);
        Assert.Equal(
            [
                new SessionInitialized(SessionId, null, _dir.Path), TurnStarted.Instance, new TextBlock("Hello there."),
                new TurnEnded(false, new TokenUsage(3, 4, 0, 0), null, SessionId, "end_turn", null, null, null),
            ],
            events);
        Assert.Equal(RunExit.Clean, exit.Kind);
        await AssertGoneAsync(process.ProcessId);

        var received = Received();
        Assert.Equal(["--flag"], received[0]["argv"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(["initialize", "session/new", "session/prompt"], received.Skip(1).Select(m => (string)m["method"]!));
        Assert.Equal("Task ID: t-1", (string)received[3]["params"]!["prompt"]![0]!["text"]!);
    }

    [Fact]
    public async Task An_agent_that_can_close_sessions_is_asked_to_before_it_is_stopped()
    {
        var initialized = new { on = "initialize", result = new { protocolVersion = 1, agentCapabilities = new { sessionCapabilities = new { close = new { } } } } };
        // Like a real agent it would not exit on its own; this one does once its session is closed.
        var spec = Spec([initialized, NewSession, Prompt, Text("Done."), EndTurn(), new { on = "session/close", result = new { } }, new { exit = 0 }]);

        await using var process = new AcpRuntime { Settle = TimeSpan.FromSeconds(30) }.Start(spec, AgentRuns.Host);
        var (_, _, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Equal(RunExit.Clean, exit.Kind);
        var close = Received().Last();
        Assert.Equal(("session/close", SessionId), ((string?)close["method"], (string?)close["params"]!["sessionId"]));
    }

    [Fact]
    public async Task A_message_sent_while_the_agent_works_becomes_its_next_prompt()
    {
        var go = _dir.File("go");
        var spec = Spec([Initialized, NewSession, Prompt, new { waitFor = go }, Text("First."), EndTurn(), Prompt, Text("Second."), EndTurn()]);
        await using var process = new AcpRuntime().Start(spec, AgentRuns.Host);
        var collecting = AgentRuns.CollectAsync(process, Ct);

        // Once the agent has its first prompt, a person writes to it.
        using (var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            patience.CancelAfter(Processes.Patience);
            while (!File.Exists(_log) || !(await File.ReadAllTextAsync(_log, patience.Token)).Contains("session/prompt", StringComparison.Ordinal))
            {
                await Task.Delay(20, patience.Token);
            }
        }

        Assert.True(await process.TrySendAsync(new AgentInputMessage("m-1", "Also do the second part."), Ct));
        await File.WriteAllTextAsync(go, "", Ct);
        var (events, _, exit) = await collecting;

        Assert.Equal(RunExit.Clean, exit.Kind);
        Assert.Equal(2, events.OfType<TurnEnded>().Count());
        Assert.Equal(new InputAccepted("m-1"), events[events.IndexOf(events.OfType<TurnEnded>().First()) + 1]);
        Assert.Equal([new TextBlock("First."), new TextBlock("Second.")], events.OfType<TextBlock>());
        var prompts = Received().Where(m => (string?)m["method"] == "session/prompt").ToList();
        Assert.Equal("Also do the second part.", (string?)prompts[^1]["params"]!["prompt"]![0]!["text"]);
        Assert.False(await process.TrySendAsync(new AgentInputMessage("m-2", "Too late."), Ct));
    }

    [Fact]
    public async Task A_permission_request_mid_turn_is_allowed_through_the_agents_input()
    {
        var ask = new
        {
            ask = new
            {
                method = "session/request_permission",
                @params = new
                {
                    sessionId = SessionId,
                    toolCall = new { toolCallId = "c1", title = "rm -rf build" },
                    options = new[] { new { optionId = "reject", name = "No", kind = "reject_once" }, new { optionId = "ok-once", name = "Yes", kind = "allow_once" } },
                },
            },
        };
        var spec = Spec([Initialized, NewSession, Prompt, ask, Text("Deleted."), EndTurn()]);

        await using var process = new AcpRuntime().Start(spec, AgentRuns.Host);
        var (events, _, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Equal(RunExit.Clean, exit.Kind);
        Assert.Contains(new TextBlock("Deleted."), events);
        var answer = Received().Single(m => m["id"] is { } id && id.GetValueKind() == JsonValueKind.Number && (int)id == 1000);
        Assert.Equal("ok-once", (string)answer["result"]!["outcome"]!["optionId"]!);
    }

    [Fact]
    public async Task A_hung_agent_fails_the_run_within_the_handshake_timeout_even_if_it_ignores_SIGTERM()
    {
        var spec = Spec([], extra: new() { ["FAKE_ACP_IGNORE_TERM"] = "1" });
        var runtime = new AcpRuntime { HandshakeTimeout = TimeSpan.FromSeconds(2), StopGrace = TimeSpan.FromMilliseconds(500) };
        var started = TimeProvider.System.GetTimestamp();

        await using var process = runtime.Start(spec, AgentRuns.Host);
        var (events, _, exit) = await AgentRuns.CollectAsync(process, Ct);

        var error = Assert.Single(events.OfType<AgentError>());
        Assert.Equal("timeout", error.Code);
        Assert.Contains("initialize", error.Detail, StringComparison.Ordinal);
        Assert.Equal((RunExit.ExitCode, 1), (exit.Kind, exit.ExitCode));
        await AssertGoneAsync(process.ProcessId);
        TestContext.Current.SendDiagnosticMessage($"hung agent ended after {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Garbage_and_oversized_lines_are_skipped_and_the_turn_still_ends()
    {
        var spec = Spec([Initialized, NewSession, Prompt, new { raw = "this is not JSON" }, new { huge = 9 * 1024 * 1024 }, Text("Still here."), EndTurn()]);

        await using var process = new AcpRuntime().Start(spec, AgentRuns.Host);
        var (events, skipped, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Equal(2, skipped.Count);
        Assert.Contains(skipped, s => s.Contains("NotAnObject", StringComparison.Ordinal));
        Assert.Contains(skipped, s => s.Contains("longer than the limit", StringComparison.Ordinal));
        Assert.Contains(new TextBlock("Still here."), events);
        Assert.Equal(RunExit.Clean, exit.Kind);
    }

    [Fact]
    public async Task A_rate_limited_prompt_reports_the_fallback_and_exits_with_status_1()
    {
        var refusal = new { reply = new { error = new { code = -32603, message = "Internal error: API Error: Rate limit reached" } } };
        var spec = Spec([Initialized, NewSession, Prompt, refusal]);

        await using var process = new AcpRuntime().Start(spec, AgentRuns.Host);
        var (events, _, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.True(Assert.Single(events.OfType<AgentError>()).IsRateLimitFallback);
        Assert.Equal((RunExit.ExitCode, 1), (exit.Kind, exit.ExitCode));
        await AssertGoneAsync(process.ProcessId);
    }

    [Fact]
    public async Task An_agent_that_dies_mid_turn_ends_the_run_with_its_own_exit_status()
    {
        var spec = Spec([Initialized, NewSession, Prompt, Text("partial"), new { exit = 3 }]);

        await using var process = new AcpRuntime().Start(spec, AgentRuns.Host);
        var (events, _, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Empty(events.OfType<TurnEnded>());
        Assert.Equal((RunExit.ExitCode, 3), (exit.Kind, exit.ExitCode));
    }

    [Fact]
    public async Task Without_an_agent_command_the_daemons_default_runs_from_the_resolved_executable()
    {
        var spec = Spec([Initialized, NewSession, Prompt, EndTurn()], extra: new() { [AcpCommandLine.DefaultVariable] = $"node '{_script}' --default" }) with
        {
            AgentCommand = null,
            Executable = RuntimeLookup("node"),
        };

        await using var process = new AcpRuntime().Start(spec, AgentRuns.Host);
        var (_, _, exit) = await AgentRuns.CollectAsync(process, Ct);

        Assert.Equal(RunExit.Clean, exit.Kind);
        Assert.Equal(["--default"], Received()[0]["argv"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public void The_launch_runs_claude_agent_acp_as_root_only_with_IS_SANDBOX()
    {
        var spec = AgentRuns.Spec(RuntimeNames.Acp, "/opt/bin/claude-agent-acp", _dir.Path, "p", new Dictionary<string, string> { ["PATH"] = "/usr/bin" });

        var asRoot = AcpRuntime.ProcessOptions(spec, runningAsRoot: true);
        var asUser = AcpRuntime.ProcessOptions(spec, runningAsRoot: false);
        var otherAgent = AcpRuntime.ProcessOptions(spec with { AgentCommand = "copilot --acp" }, runningAsRoot: true);

        Assert.Equal(("/opt/bin/claude-agent-acp", "1"), (asRoot.Executable, asRoot.Environment["IS_SANDBOX"]));
        Assert.Empty(asRoot.Arguments);
        Assert.True(asRoot.KeepStandardInputOpen);
        Assert.False(asUser.Environment.ContainsKey("IS_SANDBOX"));
        Assert.Equal("copilot", otherAgent.Executable);
        Assert.Equal(["--acp"], otherAgent.Arguments);
        Assert.False(otherAgent.Environment.ContainsKey("IS_SANDBOX"));
        Assert.Throws<AgentLaunchException>(() => AcpRuntime.ProcessOptions(spec with { AgentCommand = "agent 'unclosed" }, runningAsRoot: false));
    }

    private static string RuntimeLookup(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Select(d => Path.Combine(d, name)).First(File.Exists);
}
