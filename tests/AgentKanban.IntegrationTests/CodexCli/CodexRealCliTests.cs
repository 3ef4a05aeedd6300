using System.Diagnostics;
using AgentKanban.Agents.Codex;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.IntegrationTests.DaemonRealCli;
using AgentKanban.IntegrationTests.FakeOpenAiResponses;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.CodexCli;

/// <summary>
/// The Codex runtime with the real CLI (0.169.0) against the fake Responses API: what reaches the provider, what the
/// runtime reports, resume of the same thread, and the usage limit's reset read from Codex's session file.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class CodexRealCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Plain_answer_with_the_work_protocol_as_developer_instructions()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        box.Api.Enqueue(ResponsesReply.Text("Hello from the fake."));

        var run = await box.RunAsync("Task ID: t-1. Say hello.", Ct, systemPrompt: "Work protocol: use `ak` for \"everything\".\nSecond line.");

        Assert.True(run.Exit.Kind == RunExit.Clean, run.ToString());
        Assert.Equal(TurnStarted.Instance, run.Events[1]);
        Assert.Contains(new TextBlock("Hello from the fake."), run.Events);
        Assert.Equal(new TurnEnded(false, new TokenUsage(70, 20, 30, 0), null, run.ThreadId, "completed", "Hello from the fake.", null, null), run.Turn);
        Assert.Empty(run.Events.OfType<AgentError>());

        var request = Assert.Single(box.Api.ModelRequests);
        Assert.Equal(run.ThreadId, request.SessionId);
        Assert.Equal(FakeResponsesServer.Model, (string?)request.Json?["model"]);
        // The protocol arrives whole, as its own developer message, and the prompt as the user's.
        Assert.Contains("Work protocol: use `ak` for \"everything\".\nSecond line.", request.DeveloperTexts);
        Assert.Equal("Task ID: t-1. Say hello.", request.UserTexts.Last());
    }

    [Fact]
    public async Task Shell_commands_find_ak_on_the_inherited_path()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        box.Api.Enqueue(
            ResponsesReply.Command("command -v ak && ak task claim", text: "Claiming.", reasoning: "Claim first."),
            ResponsesReply.Text("Claimed."));

        var run = await box.RunAsync("Task ID: t-2", Ct);

        Assert.True(run.Exit.Kind == RunExit.Clean, run.ToString());
        var use = Assert.Single(run.Events.OfType<ToolUseBlock>());
        Assert.Equal(CodexJsonParser.CommandTool, use.Name);
        Assert.Contains("command -v ak && ak task claim", use.InputJson, StringComparison.Ordinal);
        var result = Assert.Single(run.Events.OfType<ToolResultBlock>());
        Assert.Equal(use.Id, result.ToolUseId);
        Assert.False(result.IsError, result.Output);
        // Not a login shell: Debian's /etc/profile would have reset PATH and lost the directory `ak` is in.
        Assert.Equal($"{Path.Combine(box.Bin, "ak")}\n{CodexCliSandbox.AkGreeting} task claim\n", result.Output);
        Assert.Contains(new ThinkingBlock("Claim first."), run.Events);
        Assert.Contains(new TextBlock("Claiming."), run.Events);
        Assert.Equal(new TokenUsage(140, 40, 60, 0), run.Turn.Usage);
        Assert.Contains(CodexCliSandbox.AkGreeting + " task claim", box.Api.ModelRequests[1].ToolOutputs.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_continues_the_same_thread_and_reports_only_its_own_tokens()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        box.Api.Enqueue(ResponsesReply.Command("printf one > one.txt"), ResponsesReply.Text("First run done."), ResponsesReply.Text("Second run done."));
        var first = await box.RunAsync("Task ID: t-3", Ct, systemPrompt: "Protocol.");
        Assert.True(first.Exit.Kind == RunExit.Clean, first.ToString());

        var second = await box.RunAsync("The reviewer says: add two.txt.", Ct, resumeToken: first.ThreadId, systemPrompt: "Protocol.");

        Assert.True(second.Exit.Kind == RunExit.Clean, second.ToString());
        Assert.Equal(first.ThreadId, second.ThreadId);
        Assert.Equal(first.ThreadId, second.Turn.ResumeToken);
        // Codex printed 300/90/60 for the thread; the resumed run itself made one call.
        Assert.Equal(new TokenUsage(70, 20, 30, 0), second.Turn.Usage);
        var calls = box.Api.ModelRequests;
        Assert.Equal(3, calls.Count);
        Assert.All(calls, c => Assert.Equal(first.ThreadId, c.SessionId));
        Assert.Equal(2, calls[2].ResponsesSoFar); // the whole conversation is re-sent
        Assert.Contains("Task ID: t-3", calls[2].UserTexts);
        Assert.Equal("The reviewer says: add two.txt.", calls[2].UserTexts.Last());
        Assert.Single(calls[2].DeveloperTexts, t => t == "Protocol.");
    }

    [Fact]
    public async Task Usage_limit_is_reported_with_the_latest_reset_of_the_windows_used_up()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        var primaryReset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().AddMinutes(30).ToUnixTimeSeconds());
        var secondaryReset = primaryReset.AddHours(5);
        box.Api.Enqueue(ResponsesReply.UsageLimit(primaryReset, secondaryReset));

        var run = await box.RunAsync("Task ID: t-4", Ct);

        Assert.Equal(1, run.Exit.ExitCode);
        Assert.True(Assert.IsType<TurnEnded>(run.Events.Single(e => e is TurnEnded)).IsError);
        Assert.Empty(run.Events.OfType<AgentError>()); // a rate limit is never an ordinary error
        var limit = Assert.Single(run.Events.OfType<RateLimitEvent>());
        Assert.Equal(new RateLimitEvent(RateLimitStatus.Rejected, secondaryReset, "secondary", false, null, null, 1.0), limit);
        var windows = Assert.Single(run.Events.OfType<UsageWindowsReported>()).Windows;
        Assert.Equal([new UsageWindow("primary", 100, 300, primaryReset), new UsageWindow("secondary", 100, 10080, secondaryReset)], windows);
        Assert.Equal(run.Events[^1], limit); // known only once the output ended, reported last
    }

    [Fact]
    public async Task Usage_limit_without_window_headers_is_the_fallback()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        box.Api.Enqueue(ResponsesReply.UsageLimit(TimeProvider.System.GetUtcNow().AddMinutes(30), withWindowHeaders: false));

        var run = await box.RunAsync("Task ID: t-5", Ct);

        var fallback = Assert.Single(run.Events.OfType<AgentError>());
        Assert.Equal(ProviderErrors.RateLimit, fallback.Code);
        Assert.True(fallback.IsRateLimitFallback);
        Assert.Empty(run.Events.OfType<RateLimitEvent>());
    }

    [Fact]
    public async Task Plain_429_is_the_fallback_once_codex_gives_up_retrying()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        box.Api.DefaultReply = ResponsesReply.Error(429, "rate_limit_exceeded", "Slow down.");
        var clock = Stopwatch.StartNew();

        var run = await box.RunAsync("Task ID: t-6", Ct);

        TestContext.Current.TestOutputHelper?.WriteLine($"plain 429: {box.Api.ModelRequests.Count} calls, {clock.Elapsed.TotalSeconds:0.0} s until codex gave up");
        Assert.Equal(1, run.Exit.ExitCode);
        Assert.Equal([new AgentError(ProviderErrors.RateLimit, "exceeded retry limit, last status: 429 Too Many Requests", true)], run.Events.OfType<AgentError>());
    }

    [Fact]
    public async Task Resume_of_a_thread_codex_does_not_have_is_conversation_not_found()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);

        var run = await box.RunAsync("Continue.", Ct, resumeToken: "01a25137-0000-7000-8000-00000000abcd");

        Assert.Equal(1, run.Exit.ExitCode);
        var error = Assert.Single(run.Events.OfType<AgentError>());
        Assert.Equal(ProviderErrors.ConversationNotFound, error.Code);
        Assert.Contains("no rollout found for thread id 01a25137-0000-7000-8000-00000000abcd", error.Detail, StringComparison.Ordinal);
        Assert.Empty(box.Api.ModelRequests);
    }

    [Fact]
    public async Task Lists_the_models_of_the_catalog_bundled_with_the_cli_without_calling_the_provider()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        var clock = Stopwatch.StartNew();

        var models = await CodexRuntime.Instance.ListModelsAsync(CodexCliSandbox.Locate(), box.Environment(), Ct);

        TestContext.Current.TestOutputHelper?.WriteLine($"codex debug models --bundled: {models?.Count} models in {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.NotNull(models);
        Assert.Contains(models, m => m.Id == FakeResponsesServer.Model && m.DisplayName == "GPT-5.5");
        Assert.DoesNotContain(models, m => m.Id == "codex-auto-review"); // hidden from Codex's own picker
        Assert.Empty(box.Api.Requests);
    }

    [Fact]
    public async Task Under_codex_own_sandbox_the_agent_commits_in_a_linked_worktree_and_reaches_the_network()
    {
        await using var box = await CodexCliSandbox.CreateAsync(Ct);
        var repository = Directory.CreateDirectory(Path.Combine(box.Temp, "repo")).FullName;
        var worktree = Path.Combine(box.Temp, "worktree");
        await RealDaemonEnvironment.GitAsync(repository, "init", "-q", "-b", "main");
        await RealDaemonEnvironment.GitAsync(repository, "commit", "-q", "--allow-empty", "-m", "Initial commit");
        await RealDaemonEnvironment.GitAsync(repository, "worktree", "add", "-q", "-b", "ak/t-7", worktree);
        box.Api.Enqueue(
            ResponsesReply.Command($"printf hi > hi.txt && git add hi.txt && git commit -q -m 'Add hi.txt' && curl -s -o /dev/null -w '%{{http_code}}' {box.Api.BaseUrl}ping"),
            ResponsesReply.Text("Committed."));

        var run = await box.RunAsync("Task ID: t-7", Ct, sandboxed: false, workingDirectory: worktree);

        Assert.True(run.Exit.Kind == RunExit.Clean, run.ToString());
        var result = Assert.Single(run.Events.OfType<ToolResultBlock>());
        Assert.False(result.IsError, result.Output);
        Assert.Equal("404", result.Output); // the fake answered: the board is reachable from the sandbox
        Assert.Equal("Add hi.txt", (await RealDaemonEnvironment.GitAsync(worktree, "log", "-1", "--format=%s", "ak/t-7")).Trim());
    }
}
