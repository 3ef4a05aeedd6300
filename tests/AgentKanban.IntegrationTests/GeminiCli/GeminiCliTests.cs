using AgentKanban.Agents.Gemini;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.IntegrationTests.FakeGemini;

namespace AgentKanban.IntegrationTests.GeminiCli;

/// <summary>
/// The real Gemini CLI through <see cref="GeminiRuntime"/> against the fake API: what a run reports, that tools run with
/// the agent's environment, that a resume continues the same conversation, and how each refusal shape maps.
/// </summary>
[Collection(GeminiCliCollection.Name)]
public sealed class GeminiCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewId() => Guid.NewGuid().ToString();

    [Fact]
    public async Task A_plain_answer_is_one_text_block_and_a_turn_with_its_usage()
    {
        await using var sandbox = await GeminiCliSandbox.CreateAsync(Ct);
        sandbox.Api.Enqueue(GeminiReply.Text("Hello from the fake model."));
        var id = NewId();

        var run = await sandbox.RunAsync("Say hello.", id, null, Ct);

        Assert.True(run.Exit.Kind == RunExit.Clean, run.ToString());
        Assert.Empty(run.Skipped);
        Assert.Equal(
            [
                new SessionInitialized(id, "gemini-2.5-flash", null),
                TurnStarted.Instance,
                new TextBlock("Hello from the fake model."),
                // 120 prompt tokens of which 20 cached: 100 input, 20 cache reads.
                new TurnEnded(false, new TokenUsage(100, 15, 20, 0), null, id, "success", "Hello from the fake model.", null,
                    run.OfType<TurnEnded>().Single().DurationMs),
            ],
            run.Events);
        var call = Assert.Single(sandbox.Api.ModelRequests);
        Assert.Equal(GeminiCliSandbox.ApiKey, call.ApiKey);
        Assert.Equal("gemini-2.5-flash", call.Model);
        // The work protocol goes in front of the prompt: the CLI has no way to add to its system prompt.
        Assert.Contains(call.UserTexts, t => t == "Work protocol: report through ak.\n\nSay hello.");
    }

    [Fact]
    public async Task A_shell_tool_runs_in_the_working_directory_with_ak_first_on_PATH()
    {
        await using var sandbox = await GeminiCliSandbox.CreateAsync(Ct);
        sandbox.Api.Enqueue(
            GeminiReply.Shell("Checking the tools.", "command -v ak && ak task claim && printf done > out.txt"),
            GeminiReply.Text("All set."));

        var run = await sandbox.RunAsync("Check ak.", NewId(), null, Ct);

        Assert.True(run.Exit.Kind == RunExit.Clean, run.ToString());
        var use = Assert.Single(run.OfType<ToolUseBlock>());
        Assert.Equal("run_shell_command", use.Name);
        Assert.Contains("command -v ak", use.InputJson, StringComparison.Ordinal);
        var result = Assert.Single(run.OfType<ToolResultBlock>());
        Assert.Equal(use.Id, result.ToolUseId);
        Assert.False(result.IsError, run.ToString());
        Assert.Contains(Path.Combine(sandbox.AkDirectory, "ak"), result.Output, StringComparison.Ordinal);
        Assert.Contains("ak task claim", result.Output, StringComparison.Ordinal);
        Assert.Equal("done", await File.ReadAllTextAsync(Path.Combine(sandbox.WorkingDirectory, "out.txt"), Ct));
        Assert.Equal([new TextBlock("Checking the tools."), new TextBlock("All set.")], run.OfType<TextBlock>());
        // Both model calls of the invocation count in its one turn.
        Assert.Equal(new TokenUsage(200, 30, 40, 0), Assert.Single(run.OfType<TurnEnded>()).Usage);
        Assert.Single(sandbox.Api.ModelRequests[1].FunctionResponses);
    }

    [Fact]
    public async Task A_resume_continues_the_same_conversation_with_its_history()
    {
        await using var sandbox = await GeminiCliSandbox.CreateAsync(Ct);
        var id = NewId();
        sandbox.Api.Enqueue(GeminiReply.Shell(null, "printf one > first.txt"), GeminiReply.Text("First part done."));
        var first = await sandbox.RunAsync("Do the first part.", id, null, Ct);
        Assert.True(first.Exit.Kind == RunExit.Clean, first.ToString());
        var callsBefore = sandbox.Api.ModelRequests.Count;

        sandbox.Api.Enqueue(GeminiReply.Text("Second part done."));
        var second = await sandbox.RunAsync("Continue with the second part.", id, id, Ct);

        Assert.True(second.Exit.Kind == RunExit.Clean, second.ToString());
        Assert.Equal(id, Assert.IsType<SessionInitialized>(second.Events[0]).ProviderSessionId);
        Assert.Equal(id, Assert.Single(second.OfType<TurnEnded>()).ResumeToken);
        var resumed = Assert.Single(sandbox.Api.ModelRequests.Skip(callsBefore));
        // The earlier turn is re-sent: its prompt, its tool call and result, its closing text; then the new prompt alone.
        Assert.Contains(resumed.UserTexts, t => t.EndsWith("Do the first part.", StringComparison.Ordinal));
        Assert.Equal(["printf one > first.txt"], resumed.ReplayedCommands);
        Assert.NotEmpty(resumed.FunctionResponses);
        Assert.Contains("First part done.", string.Concat(resumed.ModelTexts), StringComparison.Ordinal);
        Assert.Equal("Continue with the second part.", resumed.UserTexts.Last());
    }

    [Fact]
    public async Task A_resume_of_a_session_the_CLI_does_not_have_reports_the_lost_conversation()
    {
        await using var sandbox = await GeminiCliSandbox.CreateAsync(Ct);

        var run = await sandbox.RunAsync("Continue.", NewId(), NewId(), Ct);

        Assert.Equal(42, run.Exit.ExitCode);
        var error = Assert.Single(run.OfType<AgentError>());
        Assert.Equal(ProviderErrors.ConversationNotFound, error.Code);
        Assert.Empty(sandbox.Api.ModelRequests);
    }

    [Fact]
    public async Task A_daily_quota_fails_at_once_with_exit_173_and_resets_at_the_next_Pacific_midnight()
    {
        await using var sandbox = await GeminiCliSandbox.CreateAsync(Ct);
        sandbox.Api.Enqueue(GeminiReply.DailyQuota());
        var before = TimeProvider.System.GetUtcNow();

        var run = await sandbox.RunAsync("Start.", NewId(), null, Ct);

        var after = TimeProvider.System.GetUtcNow();
        Assert.Equal(173, run.Exit.ExitCode);
        var limit = Assert.Single(run.OfType<RateLimitEvent>());
        Assert.Equal(RateLimitStatus.Rejected, limit.Status);
        Assert.Equal(GeminiRateLimits.Daily, limit.RateLimitType);
        Assert.Contains(limit.ResetsAt!.Value, new[] { PacificTime.NextMidnight(before), PacificTime.NextMidnight(after) });
        Assert.Empty(run.OfType<AgentError>());
        Assert.True(Assert.Single(run.OfType<TurnEnded>()).IsError);
        Assert.Single(sandbox.Api.ModelRequests); // no retry of a daily quota
    }

    [Fact]
    public async Task A_per_minute_limit_resets_after_the_delay_the_provider_names()
    {
        await using var sandbox = await GeminiCliSandbox.CreateAsync(Ct);
        sandbox.Api.Enqueue(GeminiReply.RetryIn(TimeSpan.FromSeconds(45)));
        var before = TimeProvider.System.GetUtcNow();

        var run = await sandbox.RunAsync("Start.", NewId(), null, Ct);

        var after = TimeProvider.System.GetUtcNow();
        Assert.Equal(173, run.Exit.ExitCode);
        var limit = Assert.Single(run.OfType<RateLimitEvent>());
        Assert.Equal(GeminiRateLimits.RetryDelay, limit.RateLimitType);
        Assert.InRange(limit.ResetsAt!.Value, before.AddSeconds(45), after.AddSeconds(45));
        Assert.Empty(run.OfType<AgentError>());
    }

    [Fact]
    public async Task A_quota_refusal_without_a_time_is_the_fallback_signal()
    {
        await using var sandbox = await GeminiCliSandbox.CreateAsync(Ct);
        sandbox.Api.Enqueue(GeminiReply.Exhausted());

        var run = await sandbox.RunAsync("Start.", NewId(), null, Ct);

        Assert.Equal(173, run.Exit.ExitCode);
        var error = Assert.Single(run.OfType<AgentError>());
        Assert.Equal(ProviderErrors.RateLimit, error.Code);
        Assert.True(error.IsRateLimitFallback);
        Assert.Empty(run.OfType<RateLimitEvent>());
    }
}
