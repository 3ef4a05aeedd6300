using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.AcpCli;

/// <summary>The ACP runtime driving the real claude-agent-acp (which runs the real Claude Code) against the loopback fake.</summary>
[Collection(RealCliCollection.Name)]
public sealed class AcpRealAgentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void GroupGone(int pid) =>
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal),
            $"the agent's process {pid} is still running");

    [Fact]
    public async Task A_plain_answer_ends_the_turn_cleanly_with_its_usage()
    {
        await using var sandbox = await AcpAgentSandbox.CreateAsync(Ct);
        sandbox.Api.Enqueue(FakeReply.Text("Hello from the fake model."));

        var run = await AcpAgentSandbox.RunAsync(sandbox.Spec("Say hello."), Ct);

        Assert.True(run.Exit.Kind == RunExit.Clean, run.ToString());
        var init = Assert.Single(run.Events.OfType<SessionInitialized>());
        Assert.Equal([new TextBlock("Hello from the fake model.")], run.Events.OfType<TextBlock>());
        var end = Assert.IsType<TurnEnded>(run.Events[^1]);
        Assert.False(end.IsError);
        Assert.Equal(init.ProviderSessionId, end.ResumeToken);
        Assert.True(end.Usage.InputTokens > 0 && end.Usage.OutputTokens > 0, end.ToString());
        Assert.Contains(sandbox.Api.ModelRequests, r => r.LastUserText?.Contains("Say hello.", StringComparison.Ordinal) == true);
        GroupGone(run.ProcessId);
    }

    [Fact]
    public async Task A_tool_call_runs_ak_from_the_agents_PATH()
    {
        await using var sandbox = await AcpAgentSandbox.CreateAsync(Ct);
        var marker = Path.Combine(sandbox.Temp, "ak-called");
        sandbox.AddTool("ak", $"#!/bin/sh\necho \"$@\" > '{marker}'\necho claimed\n");
        sandbox.Api.Enqueue(FakeReply.Bash("ak task claim t-1"), FakeReply.Text("Claimed the task."));

        var run = await AcpAgentSandbox.RunAsync(sandbox.Spec("Claim the task."), Ct);

        Assert.True(run.Exit.Kind == RunExit.Clean, run.ToString());
        Assert.Equal("task claim t-1", (await File.ReadAllTextAsync(marker, Ct)).Trim());
        var tool = Assert.Single(run.Events.OfType<ToolUseBlock>());
        Assert.Equal("Bash", tool.Name);
        Assert.Contains("ak task claim t-1", tool.InputJson, StringComparison.Ordinal);
        var result = Assert.Single(run.Events.OfType<ToolResultBlock>());
        Assert.Equal((tool.Id, false), (result.ToolUseId, result.IsError));
        Assert.Contains("claimed", result.Output, StringComparison.Ordinal);
        Assert.Equal("Claimed the task.", run.Events.OfType<TextBlock>().Last().Text);
    }

    [Fact]
    public async Task A_resume_continues_the_same_session_and_the_model_sees_its_history()
    {
        await using var sandbox = await AcpAgentSandbox.CreateAsync(Ct);
        sandbox.Api.Enqueue(FakeReply.Bash("echo one > first.txt"), FakeReply.Text("First part done."));
        var first = await AcpAgentSandbox.RunAsync(sandbox.Spec("Do the first part."), Ct);
        Assert.True(first.Exit.Kind == RunExit.Clean, first.ToString());
        var sessionId = Assert.Single(first.Events.OfType<SessionInitialized>()).ProviderSessionId;
        var callsBefore = sandbox.Api.ModelRequests.Count;

        sandbox.Api.Enqueue(FakeReply.Text("Second part done."));
        var second = await AcpAgentSandbox.RunAsync(sandbox.Spec("Continue.", resumeToken: sessionId), Ct);

        Assert.True(second.Exit.Kind == RunExit.Clean, second.ToString());
        Assert.Equal(sessionId, Assert.Single(second.Events.OfType<SessionInitialized>()).ProviderSessionId);
        Assert.Equal(sessionId, Assert.IsType<TurnEnded>(second.Events[^1]).ResumeToken);
        var resumed = Assert.Single(sandbox.Api.ModelRequests.Skip(callsBefore));
        Assert.Contains(resumed.UserTexts, t => t.Contains("Do the first part.", StringComparison.Ordinal));
        Assert.Contains(resumed.ToolUses, b => (string?)b["input"]?["command"] == "echo one > first.txt");
        Assert.Contains(resumed.Messages, m => m.Role == "assistant" && m.Texts.Contains("First part done."));
        Assert.Contains("Continue.", resumed.LastUserText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resume_of_a_session_the_agent_never_had_is_a_lost_conversation()
    {
        await using var sandbox = await AcpAgentSandbox.CreateAsync(Ct);

        var run = await AcpAgentSandbox.RunAsync(sandbox.Spec("Continue.", resumeToken: Guid.NewGuid().ToString()), Ct);

        Assert.Equal(ProviderErrors.ConversationNotFound, Assert.Single(run.Events.OfType<AgentError>()).Code);
        Assert.Equal((RunExit.ExitCode, 1), (run.Exit.Kind, run.Exit.ExitCode));
        Assert.Empty(sandbox.Api.ModelRequests);
    }

    [Fact]
    public async Task A_plain_429_is_reported_as_the_rate_limit_fallback_because_the_agent_loses_the_reset()
    {
        await using var sandbox = await AcpAgentSandbox.CreateAsync(Ct);
        var headers = new Dictionary<string, string> { ["retry-after"] = "0" };
        sandbox.Api.DefaultReply = FakeReply.Error(429, "rate_limit_error", "Number of requests has exceeded your rate limit.") with { Headers = headers };

        var run = await AcpAgentSandbox.RunAsync(sandbox.Spec("Write the report."), Ct);

        var error = Assert.Single(run.Events.OfType<AgentError>());
        Assert.True(error.IsRateLimitFallback, run.ToString());
        Assert.Equal(ProviderErrors.RateLimit, error.Code);
        Assert.Empty(run.Events.OfType<RateLimitEvent>());
        Assert.Equal((RunExit.ExitCode, 1), (run.Exit.Kind, run.Exit.ExitCode));
        GroupGone(run.ProcessId);
    }

    [Fact]
    public async Task A_subscription_limit_is_rejected_with_the_reset_the_agent_prints_never_earlier()
    {
        await using var sandbox = await AcpAgentSandbox.CreateAsync(Ct);
        var resetsAt = TimeProvider.System.GetUtcNow().AddHours(2);
        sandbox.Api.Enqueue(FakeReply.RateLimited(resetsAt));

        var run = await AcpAgentSandbox.RunAsync(sandbox.Spec("Write the report."), Ct);

        // Claude Code prints "You've hit your session limit · resets 6:40pm (UTC)": to the minute, in the agent's zone.
        var limit = Assert.Single(run.Events.OfType<RateLimitEvent>());
        Assert.Equal(RateLimitStatus.Rejected, limit.Status);
        Assert.Equal("five_hour", limit.RateLimitType);
        Assert.InRange(limit.ResetsAt!.Value, resetsAt.AddSeconds(-1), resetsAt.AddMinutes(2));
        Assert.Empty(run.Events.OfType<AgentError>());
        Assert.Equal((RunExit.ExitCode, 1), (run.Exit.Kind, run.Exit.ExitCode));
        GroupGone(run.ProcessId);
    }
}
