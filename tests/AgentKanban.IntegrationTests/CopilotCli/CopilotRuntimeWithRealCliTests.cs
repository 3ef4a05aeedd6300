using System.Text.Json.Nodes;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.IntegrationTests.FakeChatCompletions;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.CopilotCli;

/// <summary>
/// <see cref="Agents.Copilot.CopilotRuntime"/> with the real Copilot CLI against the fake Chat Completions API: what the
/// daemon gets from a plain answer, a shell tool call, a resume, a rate limit and a lost conversation.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class CopilotRuntimeWithRealCliTests
{
    // Per model call the fake reports 100 prompt tokens of which 40 cached, and 7 completion tokens.
    private static readonly TokenUsage OneCall = new(60, 7, 40, 0);

    [Fact]
    public async Task Plain_answer_becomes_session_text_and_a_turn_with_the_tokens_from_the_session_log()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await CopilotSandbox.CreateAsync(ct);
        sandbox.Api.Enqueue(ChatReply.Text("Hello from the fake model."));
        var sessionId = Guid.NewGuid().ToString();

        var run = await sandbox.RunAsync(sandbox.Spec("Say hello.", sessionId, systemPrompt: "WORK PROTOCOL: be brief."), ct);

        Assert.True(run.Clean, run.ToString());
        Assert.Empty(run.Skipped);
        Assert.Equal(
            [
                new SessionInitialized(sessionId, null, sandbox.WorkingDirectory),
                TurnStarted.Instance,
                new TextBlock("Hello from the fake model."),
            ],
            run.Events.Take(3));
        var turn = Assert.IsType<TurnEnded>(run.Events[^1]);
        Assert.Equal(new TurnEnded(false, OneCall, null, sessionId, "success", "Hello from the fake model.", 1, turn.DurationMs), turn);

        // The work protocol went before the prompt, in the one user message.
        var call = Assert.Single(sandbox.Api.ChatRequests);
        var user = Assert.Single(call.UserTexts);
        Assert.True(user.IndexOf("WORK PROTOCOL", StringComparison.Ordinal) < user.IndexOf("Say hello.", StringComparison.Ordinal), user);
        Assert.True(Directory.Exists(Path.Combine(sandbox.CopilotHome, "session-state", sessionId)), "the CLI named the session after --session-id");
    }

    [Fact]
    public async Task Bash_tool_call_reaches_ak_first_on_the_agents_path()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await CopilotSandbox.CreateAsync(ct);
        File.WriteAllText(Path.Combine(sandbox.Bin, "ak"), "#!/bin/sh\necho \"ak reached: $*\"\n");
        File.SetUnixFileMode(Path.Combine(sandbox.Bin, "ak"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var bash = ChatReply.Bash("Claiming the task.", "ak task claim");
        sandbox.Api.Enqueue(bash, ChatReply.Text("Claimed."));

        var run = await sandbox.RunAsync(sandbox.Spec("Claim the task.", Guid.NewGuid().ToString()), ct);

        Assert.True(run.Clean, run.ToString());
        var use = Assert.Single(run.OfType<ToolUseBlock>());
        Assert.Equal((bash.CallId, "bash"), (use.Id, use.Name));
        Assert.Equal("ak task claim", (string?)JsonNode.Parse(use.InputJson)!["command"]);
        var result = Assert.Single(run.OfType<ToolResultBlock>());
        Assert.Equal(bash.CallId, result.ToolUseId);
        Assert.False(result.IsError);
        Assert.Contains("ak reached: task claim", result.Output, StringComparison.Ordinal);
        Assert.Equal(["Claiming the task.", "Claimed."], run.OfType<TextBlock>().Select(t => t.Text));
        Assert.Equal(OneCall + OneCall, run.TurnEnded!.Usage);
        Assert.Equal(2, run.TurnEnded.NumTurns);

        // The model got the command's output back as the tool's result.
        Assert.Contains(sandbox.Api.ChatRequests[1].ToolResults, r => r.Contains("ak reached: task claim", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resume_sends_the_conversation_again_and_counts_only_the_new_runs_tokens()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await CopilotSandbox.CreateAsync(ct);
        var sessionId = Guid.NewGuid().ToString();
        sandbox.Api.Enqueue(ChatReply.Bash(null, "echo one > first.txt"), ChatReply.Text("First part done."));
        var first = await sandbox.RunAsync(sandbox.Spec("Do the first part.", sessionId), ct);
        Assert.True(first.Clean, first.ToString());
        Assert.Equal(OneCall + OneCall, first.TurnEnded!.Usage);

        sandbox.Api.Enqueue(ChatReply.Text("Second part done."));
        var second = await sandbox.RunAsync(sandbox.Spec("Now the second part.", sessionId, resumeToken: sessionId, systemPrompt: "NOT AGAIN"), ct);

        Assert.True(second.Clean, second.ToString());
        Assert.Equal(new SessionInitialized(sessionId, null, sandbox.WorkingDirectory), second.Events[0]);
        Assert.Equal(sessionId, second.TurnEnded!.ResumeToken);
        // The session log holds three calls now; the resumed run reports its own one.
        Assert.Equal(OneCall, second.TurnEnded.Usage);

        var resumed = sandbox.Api.ChatRequests[^1];
        Assert.Equal(3, sandbox.Api.ChatRequests.Count);
        Assert.Contains(resumed.UserTexts, t => t.Contains("Do the first part.", StringComparison.Ordinal));
        Assert.Contains("Now the second part.", resumed.UserTexts.Last(), StringComparison.Ordinal);
        Assert.DoesNotContain(resumed.UserTexts, t => t.Contains("NOT AGAIN", StringComparison.Ordinal));
        Assert.Equal(["echo one > first.txt"], resumed.ReplayedCommands);
        Assert.Contains(resumed.Texts, t => t.Role == "assistant" && t.Text == "First part done.");
        Assert.True(File.Exists(Path.Combine(sandbox.WorkingDirectory, "first.txt")));
    }

    [Fact]
    public async Task A_run_killed_mid_tool_reports_no_turn_and_the_resumed_run_counts_only_its_own_calls()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await CopilotSandbox.CreateAsync(ct);
        var sessionId = Guid.NewGuid().ToString();
        var started = Path.Combine(sandbox.WorkingDirectory, "started");
        var log = Path.Combine(sandbox.CopilotHome, "session-state", sessionId, "events.jsonl");
        sandbox.Api.Enqueue(ChatReply.Bash(null, "touch started && sleep 120"));

        // Killed while its tool runs (the model call before it is in the session log by then).
        var killed = await sandbox.RunAsync(sandbox.Spec("Run the long command.", sessionId), async (e, token) =>
        {
            if (e is not ToolUseBlock)
            {
                return false;
            }

            // The CLI writes its session log lazily (on a loaded machine seconds late); the kill waits for the call to be
            // in it, so the session can be resumed (a kill before that loses the session: see the lost-session test).
            await WaitUntilAsync(() => File.Exists(started) && Agents.Copilot.CopilotSessionFiles.ReadUsage(log) == OneCall, token);
            return true;
        }, ct);
        Assert.Equal(RunExit.Signal, killed.Exit.Kind);
        Assert.Null(killed.TurnEnded);
        var afterKill = Agents.Copilot.CopilotSessionFiles.ReadUsage(log);
        Assert.Equal(OneCall, afterKill);

        sandbox.Api.Enqueue(ChatReply.Text("Recovered."));
        var resumed = await sandbox.RunAsync(sandbox.Spec("Continue.", sessionId, resumeToken: sessionId), ct);

        Assert.True(resumed.Clean, resumed.ToString());
        Assert.Equal(OneCall, resumed.TurnEnded!.Usage);
        Assert.Equal(afterKill + OneCall, Agents.Copilot.CopilotSessionFiles.ReadUsage(log));
    }

    [Fact]
    public async Task Rate_limit_after_the_clis_own_retries_is_the_rate_limit_fallback_not_an_error()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await CopilotSandbox.CreateAsync(ct);
        sandbox.Api.DefaultReply = ChatReply.RateLimited(retryAfterSeconds: 0);
        var sessionId = Guid.NewGuid().ToString();

        var started = TimeProvider.System.GetTimestamp();
        var run = await sandbox.RunAsync(sandbox.Spec("Work.", sessionId), ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"rate-limited run took {TimeProvider.System.GetElapsedTime(started)}");

        Assert.Equal((RunExit.ExitCode, 1), (run.Exit.Kind, run.Exit.ExitCode));
        var fallback = Assert.Single(run.OfType<AgentError>());
        Assert.Equal((ProviderErrors.RateLimit, true), (fallback.Code, fallback.IsRateLimitFallback));
        Assert.Contains("429", fallback.Detail, StringComparison.Ordinal);
        Assert.Empty(run.OfType<RateLimitEvent>());
        Assert.True(run.TurnEnded!.IsError, run.ToString());
        Assert.Equal(TokenUsage.Zero, run.TurnEnded.Usage);
        // One call and the CLI's five retries, all refused.
        Assert.Equal(6, sandbox.Api.ChatRequests.Count);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(20, bounded.Token);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Resume_of_a_session_the_cli_does_not_have_reports_the_conversation_lost(bool folderWithoutLog)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await CopilotSandbox.CreateAsync(ct);
        var missing = Guid.NewGuid().ToString();
        if (folderWithoutLog)
        {
            // What a run killed before the CLI's first write to its session log leaves behind.
            Directory.CreateDirectory(Path.Combine(sandbox.CopilotHome, "session-state", missing, "checkpoints"));
        }

        var run = await sandbox.RunAsync(sandbox.Spec("continue", Guid.NewGuid().ToString(), resumeToken: missing), ct);

        Assert.Equal((RunExit.ExitCode, 1), (run.Exit.Kind, run.Exit.ExitCode));
        var error = Assert.Single(run.Events);
        Assert.Equal(ProviderErrors.ConversationNotFound, Assert.IsType<AgentError>(error).Code);
        Assert.Empty(sandbox.Api.ChatRequests);
    }
}
