using System.Net.Http.Json;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// The daemon with an <c>acp</c> agent, end to end: the real <c>ak daemon run</c> finds claude-agent-acp (the default
/// ACP agent) on its PATH and drives it over the Agent Client Protocol; the agent runs the real Claude Code against the
/// loopback Anthropic fake, whose scripted replies make it claim, commit and ask for review through <c>ak</c>.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class AcpDaemonTests
{
    /// <summary>The daemon's pause when the provider gives no reset (claude-agent-acp never passes one on for a plain 429).</summary>
    private static readonly TimeSpan UnknownResetPause = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_acp_agent_runs_its_own_command_claims_commits_in_its_worktree_and_asks_for_review()
    {
        await using var env = await RealDaemonEnvironment.CreateAsync(Ct, runtime: RuntimeNames.Acp);
        var script = new ScriptedAgent(
            Step("I will claim the task first.", "ak task claim"),
            Step("Writing hello.txt and committing it.", "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            Step(null, "ak task review"),
            FakeReply.Text("Done: hello.txt is on the branch and the task is in review."));
        var task = await env.CreateTaskAsync("write hello.txt", script);
        // The agent's own command (here a wrapper that records its arguments, then runs claude-agent-acp) is what runs.
        var marker = Path.Combine(env.Root, "wrapper-arguments");
        var wrapper = Path.Combine(env.Root, "acp-wrapper");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{marker}'\nIS_SANDBOX=1 exec claude-agent-acp\n", Ct);
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var patch = await env.Server.Admin.PatchAsync($"api/agents/{env.Agent.Id}",
            JsonContent.Create(new UpdateAgentRequest { Command = $"'{wrapper}' --from-agent \"two words\"" }, ContractsJsonContext.Default.UpdateAgentRequest), Ct);
        patch.EnsureSuccessStatusCode();

        env.StartDaemon();
        await env.WaitForStatusAsync(task.Id, "in_review");
        Assert.Equal(["--from-agent", "two words"], await File.ReadAllLinesAsync(marker, Ct));
        Measurements.Report($"acp: dispatchable → first provider request: {(script.Calls()[0].ReceivedAt - env.DispatchableSince(task)).TotalMilliseconds:0} ms");

        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the final turn");
        Assert.Equal(4, calls.Count);
        Assert.Single(calls.Select(c => c.SessionId).Distinct());
        Assert.All(calls.Skip(1).SelectMany(c => c.ToolResults).ToList(), r => Assert.NotEqual(true, (bool?)r["is_error"]));

        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);
        Assert.Equal("hello\n", await RealDaemonEnvironment.GitAsync(workspace, "show", branch + ":hello.txt"));
        Assert.Equal("Add hello.txt", (await RealDaemonEnvironment.GitAsync(workspace, "log", "-1", "--format=%s", branch)).Trim());

        // What the agent said reaches the task as messages, and its turn's usage the session.
        await env.WaitAsync(async () =>
        {
            var messages = await env.Server.GetAsync($"api/tasks/{task.Id}/messages", ContractsJsonContext.Default.ListMessageDto);
            return messages.Any(m => m.Content == "I will claim the task first.")
                && messages.Any(m => m.Content.StartsWith("Done: hello.txt", StringComparison.Ordinal)) ? messages : null;
        }, "the agent's text to arrive as messages");
        await env.WaitAsync(async () =>
        {
            var sessions = await env.Server.SessionsAsync(task.Id);
            return sessions.SingleOrDefault(s => s.InputTokens >= 4 * FakeUsage.Default.InputTokens && s.OutputTokens > 0);
        }, "the session's usage to be recorded");
    }

    [Fact]
    public async Task A_rate_limit_pauses_for_the_default_window_a_killed_daemon_keeps_it_and_the_session_resumes_after_it()
    {
        await using var env = await RealDaemonEnvironment.CreateAsync(Ct, runtime: RuntimeNames.Acp);
        // The script moves on by the number of assistant turns in the conversation. Whether the refused call leaves one
        // behind (the agent's "API Error" message) depends on whether the agent wrote it before it was stopped, so the
        // second step claims as well: the task gets to review either way.
        var script = new ScriptedAgent(
                Step("Claiming.", "ak task claim"),
                Step(null, "ak task claim; ak task review"),
                FakeReply.Text("In review."))
            .RejectFirstCallWithRateLimit(TimeSpan.FromHours(3));
        var task = await env.CreateTaskAsync("hits the limit", script);
        // On an API key Claude Code gives up on a 429 at once, and claude-agent-acp passes on no reset time.
        var apiKey = new Dictionary<string, string?>
        {
            ["CLAUDE_CODE_OAUTH_TOKEN"] = null,
            ["ANTHROPIC_API_KEY"] = "sk-ant-fake-key",
            ["CLAUDE_CODE_MAX_RETRIES"] = "0",
        };
        var pauseArguments = new[] { "--unknown-reset-pause", "15s" };

        var first = env.StartDaemon(apiKey, pauseArguments);
        var session = await env.WaitAsync(async () => (await StoreReader.SessionsAsync(env.StateDir))
            .FirstOrDefault(s => s.TaskId == task.Id && s.State is not (SessionState.Preparing or SessionState.Active)), "the run's end");
        Assert.True(session.State == SessionState.RateLimited, $"{session.State}: {session.LastReason}\n{env.Diagnostics()}");
        var pause = await StoreReader.PauseAsync(env.StateDir, RuntimeNames.Acp);
        Assert.NotNull(pause);
        Assert.Equal((int)PauseSource.NoResetGiven, pause.Value.Source);
        Assert.Equal(UnknownResetPause, TimeSpan.FromMilliseconds(pause.Value.UntilMs - pause.Value.DecidedAtMs));
        Assert.Equal(pause.Value.UntilMs, session.ResumeAfterMs);
        var pausedUntil = DateTimeOffset.FromUnixTimeMilliseconds(pause.Value.UntilMs);

        await first.KillHardAsync();
        Assert.True(TimeProvider.System.GetUtcNow() < pausedUntil, "the daemon was killed inside the pause window");
        var fresh = env.StartDaemon(apiKey, pauseArguments);

        await env.WaitForStatusAsync(task.Id, "in_review");
        var calls = await env.WaitAsync(
            () => Task.FromResult(script.Calls() is var all && all.Any(c => c.Messages.Count(m => m.Role == "assistant") >= 2) ? all : null),
            "the resumed run's final turn");
        Assert.True(calls[0].ReceivedAt < pausedUntil, "the first call was the rejected one");
        Assert.All(calls.Skip(1), c => Assert.True(c.ReceivedAt >= pausedUntil, $"{c} at {c.ReceivedAt:O}, inside the pause that ends {pausedUntil:O}"));
        Measurements.Report($"acp: pause end → resumed provider request: {(calls[1].ReceivedAt - pausedUntil).TotalMilliseconds:0} ms");
        // The conversation went on: the task's prompt is still in it.
        Assert.Contains(calls[1].UserTexts, t => t.Contains("Task ID: " + task.Id, StringComparison.Ordinal));
        // The same ACP session (session/resume): Claude Code under it keeps its conversation id and gets the resume prompt.
        Assert.All(calls, c => Assert.Equal(calls[0].SessionId, c.SessionId));
        Assert.Contains(calls[1].UserTexts, t => t.Contains(Prompts.RateLimitResume, StringComparison.Ordinal));
        Assert.False(fresh.HasExited, fresh.Output);
    }

    [Fact]
    public async Task A_rejected_review_resumes_the_same_acp_session_with_the_reason()
    {
        await using var env = await RealDaemonEnvironment.CreateAsync(Ct, runtime: RuntimeNames.Acp);
        var script = new ScriptedAgent(
            Step("Claiming.", "ak task claim"),
            Step(null, "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            Step(null, "ak task review"),
            FakeReply.Text("In review."),
            Step("Adding bye.txt as asked.", "printf 'bye\\n' > bye.txt && git add bye.txt && git commit -q -m 'Add bye.txt'"),
            Step(null, "ak task review"),
            FakeReply.Text("In review again."));
        var task = await env.CreateTaskAsync("write hello.txt", script);
        env.StartDaemon();
        await env.WaitForStatusAsync(task.Id, "in_review");
        await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the first run's final turn");
        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);

        await env.Server.TransitionAsync(task.Id, "reject", "also add bye.txt");
        await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 7 } all ? all : null), "the resumed run's final turn");
        await env.WaitForStatusAsync(task.Id, "in_review");

        var calls = script.Calls();
        Assert.All(calls, c => Assert.Equal(calls[0].SessionId, c.SessionId));
        Assert.Contains(calls[4].UserTexts, t => t.Contains("also add bye.txt", StringComparison.Ordinal));
        // The resumed call carries the first run's history: the conversation went on rather than starting again.
        Assert.Contains(calls[4].Messages, m => m.Role == "assistant" && m.Texts.Contains("In review."));
        Assert.Equal((workspace, branch), await env.WorkspaceOfAsync(task.Id));
        var log = await RealDaemonEnvironment.GitAsync(workspace, "log", "--format=%s", branch);
        Assert.Equal(["Add bye.txt", "Add hello.txt", "Initial commit"], log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static FakeMessageReply Step(string? text, string command) => ScriptedAgent.Bash(text, command);

}
