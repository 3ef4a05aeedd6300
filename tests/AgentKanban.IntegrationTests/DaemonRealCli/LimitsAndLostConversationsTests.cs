using System.Text.Json.Nodes;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// Two ways the real Claude Code CLI fails a run that must not cost the task: a 429 on an API key (no
/// <c>rate_limit_event</c>, only the 429 in the assistant's error and the result), which pauses the session like any rate
/// limit; and a resume the CLI has no conversation for (its session file is gone), which starts a new conversation that
/// is told what happened on the task so far.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class LimitsAndLostConversationsTests
{
    [Fact]
    public async Task A_429_on_an_api_key_pauses_the_session_for_the_default_window_and_the_task_stays_with_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var script = ClaimAndReview().RejectFirstCallWithRateLimit(TimeSpan.FromHours(3));
        var task = await env.CreateTaskAsync("limited on an api key", script);

        // An API key instead of a subscription; the CLI gives up on the 429 at once instead of retrying for minutes.
        env.StartDaemon(new Dictionary<string, string?>
        {
            ["CLAUDE_CODE_OAUTH_TOKEN"] = null,
            ["ANTHROPIC_API_KEY"] = "sk-ant-fake-key",
            ["CLAUDE_CODE_MAX_RETRIES"] = "0",
        });

        var session = await env.WaitAsync(async () => (await StoreReader.SessionsAsync(env.StateDir))
            .FirstOrDefault(s => s.TaskId == task.Id && s.State is not (SessionState.Preparing or SessionState.Active)), "the run's end");
        Assert.True(session.State == SessionState.RateLimited, $"{session.State}: {session.LastReason}\n{env.Diagnostics()}");
        var call = Assert.Single(script.Calls());
        Assert.True(call.Headers.ContainsKey("x-api-key"), "the CLI ran on the API key");

        // Without a reset time the pause is the default window, recorded for the runtime as well.
        var pause = await StoreReader.PauseAsync(env.StateDir, "claude");
        Assert.NotNull(pause);
        Assert.Equal((int)PauseSource.NoResetGiven, pause.Value.Source);
        Assert.Equal(RateLimitOptions.Default.UnknownResetWindow, TimeSpan.FromMilliseconds(pause.Value.UntilMs - pause.Value.DecidedAtMs));
        Assert.Equal(pause.Value.UntilMs, session.ResumeAfterMs);

        // The task is not released: it stays leased to this machine and says what it waits for.
        var waiting = await env.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(task.Id);
            return t.Why?.Contains("rate limit", StringComparison.Ordinal) == true ? t : null;
        }, "the task's why to name the rate limit");
        Assert.Equal("todo", waiting.Status);
        Assert.NotNull(waiting.Lease);
        Assert.DoesNotContain(waiting.Activity ?? [], a => a.Action == "released");
    }

    [Fact]
    public async Task A_resume_of_a_conversation_the_cli_lost_starts_a_new_one_that_is_told_what_happened_so_far()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var script = new ScriptedAgent(
                Step("Claiming.", "ak task claim"),
                Step(null, "ak task note 'the parser handles nested lists'"),
                Step(null, "ak task review"),
                FakeReply.Text("In review."))
            .RejectCallWithRateLimit(2, TimeSpan.FromSeconds(10));
        var task = await env.CreateTaskAsync("parser", script);
        env.StartDaemon();

        await env.WaitAsync(async () => (await StoreReader.SessionsAsync(env.StateDir))
            .FirstOrDefault(s => s.TaskId == task.Id && s.State == SessionState.RateLimited), "the session to be rate limited");
        var lostId = script.Calls()[0].SessionId!;
        // The CLI's record of the conversation disappears while the session waits for the window.
        var files = Directory.GetFiles(Path.Combine(env.Home, ".claude", "projects"), lostId + ".jsonl", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            File.Delete(file);
        }

        Assert.True(TimeProvider.System.GetUtcNow() < script.ResetAt, "the conversation was lost inside the pause window");

        await env.WaitForStatusAsync(task.Id, "in_review");
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 7 } all ? all : null), "the new conversation's final turn");

        // Claim, note, the rejected call; then a new conversation under a new id, from its first step.
        Assert.All(calls.Take(3), c => Assert.Equal(lostId, c.SessionId));
        var fresh = calls[3];
        Assert.NotEqual(lostId, fresh.SessionId);
        Assert.All(calls.Skip(3), c => Assert.Equal(fresh.SessionId, c.SessionId));
        Assert.DoesNotContain(fresh.Messages, m => m.Role == "assistant");
        var prompt = string.Join("\n", fresh.UserTexts);
        Assert.Contains("Task ID: " + task.Id, prompt, StringComparison.Ordinal);
        Assert.Contains("cannot be continued", prompt, StringComparison.Ordinal);
        Assert.Contains("the parser handles nested lists", prompt, StringComparison.Ordinal);
        Assert.Contains("Claiming.", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain((await env.Server.GetTaskAsync(task.Id)).Activity ?? [], a => a.Action == "released");
    }

    private static FakeMessageReply Step(string? text, string command)
    {
        var toolUse = new FakeToolUseBlock("toolu_" + Guid.NewGuid().ToString("N")[..20], "Bash", new JsonObject { ["command"] = command });
        return text is null ? FakeReply.Message(toolUse) : FakeReply.Message(new FakeTextBlock(text), toolUse);
    }

    private static ScriptedAgent ClaimAndReview() => new(
        Step("Claiming.", "ak task claim"),
        Step(null, "ak task review"),
        FakeReply.Text("In review."));
}
