using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeChatCompletions;
using AgentKanban.IntegrationTests.Support;
using Microsoft.Data.Sqlite;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// The daemon's promises end to end with the real GitHub Copilot CLI (bring-your-own-key mode against the fake Chat
/// Completions API): the agent drives its task through <c>ak</c> to review; a 429 — which this CLI reports without a
/// reset time — pauses the session for the daemon's default window and the same conversation is resumed after it, also
/// by a fresh daemon after the first was killed with SIGKILL; a rejected review resumes the same conversation with the
/// reason.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class CopilotDaemonTests
{
    // Short enough to wait out in a test, long enough to kill and restart a daemon inside it.
    private static readonly TimeSpan UnknownResetPause = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Agent_claims_commits_in_its_worktree_and_asks_for_review()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct, runtime: RuntimeNames.Copilot);
        await using var api = await FakeChatCompletionsServer.StartAsync(ct);
        var script = new ChatScript(
            ChatReply.Bash("I will claim the task first.", "ak task claim"),
            ChatReply.Bash("Writing hello.txt and committing it.", "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            ChatReply.Bash(null, "ak task note 'hello.txt is committed'"),
            ChatReply.Bash(null, "ak task review"),
            ChatReply.Text("Done: hello.txt is on the branch and the task is in review."));
        var task = await env.CreateTaskAsync("write hello.txt", null);
        Route(api, task.Id, script);

        var daemon = env.StartDaemon(Overrides(env, api));
        await env.WaitForStatusAsync(task.Id, "in_review");
        Measurements.Report($"copilot: dispatchable → first provider request: {(script.Calls()[0].ReceivedAt - env.DispatchableSince(task)).TotalMilliseconds:0} ms");
        // The CLI ran inside the daemon's agent sandbox (on by default), its own command sandbox off.
        Assert.Contains("Agent sandbox: ", daemon.Output, StringComparison.Ordinal);

        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 5 } all ? all : null), "the final turn");
        Assert.Equal(5, calls.Count);
        // One conversation: every call carries the earlier ones.
        Assert.Equal([0, 1, 2, 3, 4], calls.Select(c => c.AssistantTurns));
        Assert.Equal(4, calls[4].ToolResults.Count());
        Assert.All(calls[4].ToolResults, r => Assert.Contains("exit code 0", r, StringComparison.Ordinal));

        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);
        Assert.StartsWith("ak/", branch, StringComparison.Ordinal);
        Assert.Equal("hello\n", await RealDaemonEnvironment.GitAsync(workspace, "show", branch + ":hello.txt"));
        Assert.Equal("Add hello.txt", (await RealDaemonEnvironment.GitAsync(workspace, "log", "-1", "--format=%s", branch)).Trim());

        var activity = await env.Server.GetAsync($"api/tasks/{task.Id}/notes", ContractsJsonContext.Default.ListActivityDto);
        Assert.Contains(activity, a => a.Detail == "hello.txt is committed");
        await env.WaitAsync(async () =>
        {
            var messages = await env.Server.GetAsync($"api/tasks/{task.Id}/messages", ContractsJsonContext.Default.ListMessageDto);
            return messages.Any(m => m.Content == "I will claim the task first.")
                && messages.Any(m => m.Content.StartsWith("Done: hello.txt", StringComparison.Ordinal)) ? messages : null;
        }, "the agent's text to arrive as messages");

        // Five model calls, each 100 prompt tokens (40 of them cached) and 7 completion tokens, read from the CLI's session log.
        var session = await env.WaitAsync(async () =>
            (await env.Server.SessionsAsync(task.Id)).SingleOrDefault(s => s.OutputTokens >= 5 * ChatUsage.Default.CompletionTokens),
            "the session's usage to be recorded");
        Assert.Equal(5 * ChatUsage.Default.CompletionTokens, session.OutputTokens);
        Assert.Equal(5 * (ChatUsage.Default.PromptTokens - ChatUsage.Default.CachedTokens), session.InputTokens);

        var events = await env.WaitAsync(async () =>
        {
            var list = await env.Server.GetAsync($"api/tasks/{task.Id}/agent-events", ContractsJsonContext.Default.ListAgentEventDto);
            return list.Count(e => e.Kind == AgentEventKinds.ToolResult) >= 4 && list.Any(e => e.Kind == AgentEventKinds.TurnEnded) ? list : null;
        }, "the run's live events");
        var kinds = events.Select(e => e.Kind).ToList();
        Assert.Equal(4, kinds.Count(k => k == AgentEventKinds.ToolUse));
        Assert.True(kinds.IndexOf(AgentEventKinds.ToolUse) < kinds.IndexOf(AgentEventKinds.ToolResult), string.Join(", ", kinds));
    }

    [Fact]
    public async Task Rate_limited_session_pauses_for_the_default_window_and_resumes_its_conversation_after_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct, runtime: RuntimeNames.Copilot);
        await using var api = await FakeChatCompletionsServer.StartAsync(ct);
        var script = ClaimAndReview().RefuseFirstCalls();
        var task = await env.CreateTaskAsync("hits the limit", null);
        Route(api, task.Id, script);

        env.StartDaemon(Overrides(env, api), "--unknown-reset-pause", "20s");
        var paused = await WaitForRecordedPauseAsync(env, task.Id);

        await env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterThePauseAsync(env, script, paused);
    }

    [Fact]
    public async Task Daemon_killed_inside_the_pause_is_replaced_by_one_that_resumes_on_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct, runtime: RuntimeNames.Copilot);
        await using var api = await FakeChatCompletionsServer.StartAsync(ct);
        var script = ClaimAndReview().RefuseFirstCalls();
        var task = await env.CreateTaskAsync("hits the limit", null);
        Route(api, task.Id, script);

        var first = env.StartDaemon(Overrides(env, api), "--unknown-reset-pause", "20s");
        var paused = await WaitForRecordedPauseAsync(env, task.Id);
        await first.KillHardAsync();
        Assert.True(TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() < paused.ResumeAfterMs, "the daemon was killed inside the pause window");

        // The fresh daemon has the same setting; what it must not do is resume early, nor forget the session.
        var fresh = env.StartDaemon(Overrides(env, api), "--unknown-reset-pause", "20s");
        await env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterThePauseAsync(env, script, paused);
        Assert.False(fresh.HasExited, fresh.Output);
    }

    [Fact]
    public async Task A_conversation_the_cli_lost_during_the_pause_is_started_afresh_and_told_what_happened()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct, runtime: RuntimeNames.Copilot);
        await using var api = await FakeChatCompletionsServer.StartAsync(ct);
        var script = ClaimAndReview().RefuseFirstCalls();
        var task = await env.CreateTaskAsync("loses its conversation", null);
        Route(api, task.Id, script);

        env.StartDaemon(Overrides(env, api), "--unknown-reset-pause", "20s");
        var paused = await WaitForRecordedPauseAsync(env, task.Id);
        var lost = Assert.Single(CopilotSessions(env));
        Assert.Equal(lost, await ResumeTokenAsync(env, paused.Id));
        // The CLI's record of the conversation disappears while the session waits.
        Directory.Delete(Path.Combine(env.Home, ".copilot", "session-state", lost!), recursive: true);
        Assert.True(TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() < paused.ResumeAfterMs, "the conversation was lost inside the pause");

        await env.WaitForStatusAsync(task.Id, "in_review");
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 9 } all ? all : null), "the new conversation's final turn");

        // The resume found nothing (no call), so a new conversation started from the first step, told why.
        var fresh = calls[6];
        Assert.Equal(0, fresh.AssistantTurns);
        var prompt = string.Join("\n", fresh.UserTexts);
        Assert.Contains("Task ID: " + task.Id, prompt, StringComparison.Ordinal);
        Assert.Contains("cannot be continued", prompt, StringComparison.Ordinal);
        var now = Assert.Single(CopilotSessions(env));
        Assert.NotEqual(lost, now);
        Assert.Equal(now, await ResumeTokenAsync(env, paused.Id));
    }

    [Fact]
    public async Task Rejected_review_resumes_the_same_conversation_in_the_same_worktree_with_the_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct, runtime: RuntimeNames.Copilot);
        await using var api = await FakeChatCompletionsServer.StartAsync(ct);
        var script = new ChatScript(
            ChatReply.Bash("Claiming.", "ak task claim"),
            ChatReply.Bash(null, "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            ChatReply.Bash(null, "ak task review"),
            ChatReply.Text("In review."),
            // After the rejection: the same conversation goes on.
            ChatReply.Bash("Adding bye.txt as asked.", "printf 'bye\\n' > bye.txt && git add bye.txt && git commit -q -m 'Add bye.txt'"),
            ChatReply.Bash(null, "ak task review"),
            ChatReply.Text("In review again."));
        var task = await env.CreateTaskAsync("write hello.txt", null);
        Route(api, task.Id, script);
        env.StartDaemon(Overrides(env, api));
        await env.WaitForStatusAsync(task.Id, "in_review");
        await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the first run's final turn");
        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);
        var sessionId = (await StoreReader.SessionsAsync(env.StateDir)).Single(s => s.TaskId == task.Id).Id;

        await env.Server.TransitionAsync(task.Id, "reject", "also add bye.txt");
        await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 7 } all ? all : null), "the resumed run's final turn");
        await env.WaitForStatusAsync(task.Id, "in_review");

        // The resumed run sent the whole first conversation again, then the reason.
        var calls = script.Calls();
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], calls.Select(c => c.AssistantTurns));
        Assert.Contains("also add bye.txt", calls[4].UserTexts.Last(), StringComparison.Ordinal);
        Assert.Contains(calls[4].Texts, t => t.Role == "assistant" && t.Text == "In review.");
        Assert.Equal(sessionId, (await StoreReader.SessionsAsync(env.StateDir)).Single(s => s.TaskId == task.Id).Id);
        Assert.Equal([await ResumeTokenAsync(env, sessionId)], CopilotSessions(env));
        Assert.Equal((workspace, branch), await env.WorkspaceOfAsync(task.Id));
        var log = await RealDaemonEnvironment.GitAsync(workspace, "log", "--format=%s", branch);
        Assert.Equal(["Add bye.txt", "Add hello.txt", "Initial commit"], log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The sessions in the CLI's home (one folder each, beside its own dot-folders).</summary>
    private static List<string?> CopilotSessions(RealDaemonEnvironment env) =>
        Directory.GetDirectories(Path.Combine(env.Home, ".copilot", "session-state"))
            .Select(Path.GetFileName)
            .Where(name => name?.StartsWith('.') == false)
            .ToList();

    /// <summary>The resume token the daemon stored for its session (read-only, beside the running daemon).</summary>
    private static async Task<string?> ResumeTokenAsync(RealDaemonEnvironment env, string sessionId)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(env.StateDir, "daemon.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT resume_token FROM sessions WHERE id = $id";
        command.Parameters.AddWithValue("$id", sessionId);
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>The daemon's environment for the Copilot CLI: the fake provider, the test's HOME, the shared package cache.</summary>
    private static Dictionary<string, string?> Overrides(RealDaemonEnvironment env, FakeChatCompletionsServer api) =>
        CopilotCli.CopilotCli.Environment(api.ApiBaseUrl, env.Home);

    private static void Route(FakeChatCompletionsServer api, string taskId, ChatScript script) =>
        api.Respond(request => request.UserTexts.Any(t => t.Contains("Task ID: " + taskId, StringComparison.Ordinal)) ? script.Next(request) : null);

    private static ChatScript ClaimAndReview() => new(
        ChatReply.Bash("Claiming.", "ak task claim"),
        ChatReply.Bash(null, "ak task review"),
        ChatReply.Text("In review."));

    private static async Task<StoredSessionView> WaitForRecordedPauseAsync(RealDaemonEnvironment env, string taskId)
    {
        var session = await env.WaitAsync(async () =>
        {
            var rows = await StoreReader.SessionsAsync(env.StateDir);
            return rows.FirstOrDefault(s => s.TaskId == taskId && s.State == SessionState.RateLimited && s.ResumeAfterMs is not null);
        }, "the rate-limit pause to be recorded in the daemon's store");

        // No reset time from the CLI: the daemon's default window, for the runtime as well as the session.
        var pause = await StoreReader.PauseAsync(env.StateDir, RuntimeNames.Copilot);
        Assert.NotNull(pause);
        Assert.Equal((int)PauseSource.NoResetGiven, pause.Value.Source);
        Assert.Equal(UnknownResetPause, TimeSpan.FromMilliseconds(pause.Value.UntilMs - pause.Value.DecidedAtMs));
        Assert.Equal(pause.Value.UntilMs, session.ResumeAfterMs);
        return session;
    }

    /// <summary>
    /// From the fake's log: six refused calls (one run: the CLI's try and its five retries), then the resumed run after
    /// the pause, in the same Copilot session (the original prompt sent again, then the resume prompt), on to review.
    /// </summary>
    private static async Task AssertResumedAfterThePauseAsync(RealDaemonEnvironment env, ChatScript script, StoredSessionView paused)
    {
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 9 } all ? all : null), "the resumed run's final turn");
        Assert.True(calls.Count == 9, $"expected six refused calls plus claim, review and the final turn: {string.Join(", ", calls)}");
        var resumeAfter = DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs!.Value);
        Assert.All(calls.Take(6), c => Assert.True(c.ReceivedAt < resumeAfter, $"{c} was one of the refused run's calls"));
        var resumed = calls[6];
        Assert.True(resumed.ReceivedAt >= resumeAfter, $"resumed at {resumed.ReceivedAt:O}, before the end of the pause {resumeAfter:O}");
        Measurements.Report($"copilot: pause end → resumed provider request: {(resumed.ReceivedAt - resumeAfter).TotalMilliseconds:0} ms");
        var users = resumed.UserTexts.ToList();
        Assert.True(users.Count == 2, string.Join("\n---\n", users));
        Assert.Contains("Task ID: ", users[0], StringComparison.Ordinal);
        Assert.Contains(Prompts.RateLimitResume, users[1], StringComparison.Ordinal);
        // One Copilot session for the task, the one the daemon stored as its resume token.
        Assert.Equal([await ResumeTokenAsync(env, paused.Id)], CopilotSessions(env));
    }
}
