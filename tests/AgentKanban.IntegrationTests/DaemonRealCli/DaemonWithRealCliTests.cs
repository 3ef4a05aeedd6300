using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// The daemon's promises end to end with the real Claude Code CLI: the agent drives its own task through <c>ak</c>
/// (claim, commit in its worktree, review); a subscription rate limit pauses the session and the runtime and the
/// session resumes with <c>--resume</c> after the reset; and the seed's scenario — the daemon is killed with SIGKILL
/// after the pause was recorded, and a fresh daemon resumes the session on time with no other help.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class DaemonWithRealCliTests
{
    private static readonly TimeSpan RateLimitWindow = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Agent_claims_commits_in_its_worktree_and_asks_for_review()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var script = new ScriptedAgent(
            Step("I will claim the task first.", "ak task claim"),
            Step("Writing hello.txt and committing it.", "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            Step(null, "ak task note 'hello.txt is committed'"),
            Step(null, "ak task review"),
            FakeReply.Text("Done: hello.txt is on the branch and the task is in review."));
        env.StartDaemon();
        await env.WaitForDaemonReadyAsync();
        var task = await env.CreateTaskAsync("write hello.txt", script);
        await env.WaitForStatusAsync(task.Id, "in_review");
        Measurements.Report($"claude: task created → first provider request: {(script.Calls()[0].ReceivedAt - task.CreatedAt).TotalMilliseconds:0} ms");

        // Every step ran in the real CLI (the last one, a text turn, after the review), one conversation, each tool
        // call answered successfully.
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 5 } all ? all : null), "the final turn");
        Assert.Equal(5, calls.Count);
        Assert.Single(calls.Select(c => c.SessionId).Distinct());
        Assert.All(calls.Skip(1).SelectMany(c => c.ToolResults).ToList(), r => Assert.NotEqual(true, (bool?)r["is_error"]));

        // The commit is on the session's branch in its worktree.
        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);
        Assert.StartsWith("ak/", branch, StringComparison.Ordinal);
        Assert.Equal(branch, (await RealDaemonEnvironment.GitAsync(workspace, "rev-parse", "--abbrev-ref", "HEAD")).Trim());
        Assert.Equal("hello\n", await RealDaemonEnvironment.GitAsync(workspace, "show", branch + ":hello.txt"));
        Assert.Equal("Add hello.txt", (await RealDaemonEnvironment.GitAsync(workspace, "log", "-1", "--format=%s", branch)).Trim());

        // The agent's note, its text as messages, and the usage and cost of its turns reach the server.
        var activity = await env.Server.GetAsync($"api/tasks/{task.Id}/notes", ContractsJsonContext.Default.ListActivityDto);
        Assert.Contains(activity, a => a.Detail == "hello.txt is committed");
        await env.WaitAsync(async () =>
        {
            var messages = await env.Server.GetAsync($"api/tasks/{task.Id}/messages", ContractsJsonContext.Default.ListMessageDto);
            return messages.Any(m => m.Content == "I will claim the task first.")
                && messages.Any(m => m.Content.StartsWith("Done: hello.txt", StringComparison.Ordinal)) ? messages : null;
        }, "the agent's text to arrive as messages");
        var session = await env.WaitAsync(async () =>
        {
            var sessions = await env.Server.SessionsAsync(task.Id);
            return sessions.SingleOrDefault(s => s.InputTokens >= 5 * FakeUsage.Default.InputTokens && s.CostMicroUsd > 0);
        }, "the session's usage and cost to be recorded");
        Assert.Equal(5 * FakeUsage.Default.OutputTokens, session.OutputTokens);

        // The live stream of the run reached the board in order: what the agent said, its tool calls and their results,
        // and each turn's usage.
        var events = await env.WaitAsync(async () =>
        {
            var list = await env.Server.GetAsync($"api/tasks/{task.Id}/agent-events", ContractsJsonContext.Default.ListAgentEventDto);
            return list.Count(e => e.Kind == AgentEventKinds.ToolResult) >= 4 && list.Any(e => e.Kind == AgentEventKinds.TurnEnded) ? list : null;
        }, "the run's live events");
        Assert.Equal(events.Select(e => e.Seq).Order(), events.Select(e => e.Seq));
        var kinds = events.Select(e => e.Kind).ToList();
        Assert.True(kinds.IndexOf(AgentEventKinds.ToolUse) < kinds.IndexOf(AgentEventKinds.ToolResult), string.Join(", ", kinds));
        Assert.Equal(4, kinds.Count(k => k == AgentEventKinds.ToolUse));
        Assert.Contains(events, e => e.Kind == AgentEventKinds.Text && e.Data?.GetProperty("text").GetString() == "I will claim the task first.");
    }

    [Fact]
    public async Task Rejected_review_resumes_the_same_conversation_in_the_same_worktree_with_the_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var script = new ScriptedAgent(
            Step("Claiming.", "ak task claim"),
            Step(null, "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            Step(null, "ak task review"),
            FakeReply.Text("In review."),
            // After the rejection: the same conversation goes on.
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
        Assert.Equal((workspace, branch), await env.WorkspaceOfAsync(task.Id));
        var log = await RealDaemonEnvironment.GitAsync(workspace, "log", "--format=%s", branch);
        Assert.Equal(["Add bye.txt", "Add hello.txt", "Initial commit"], log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Rate_limited_session_pauses_the_runtime_and_resumes_with_its_conversation_after_the_reset()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var limitedScript = ClaimAndReview().RejectFirstCallWithRateLimit(RateLimitWindow);
        var limited = await env.CreateTaskAsync("hits the limit", limitedScript);

        env.StartDaemon();
        var paused = await WaitForRecordedPauseAsync(env, limited.Id);
        var resetAt = limitedScript.ResetAt!.Value;
        Assert.True(paused.ResumeAfterMs >= resetAt.ToUnixTimeSeconds() * 1000, "the session waits for the reset the API announced");

        // A second task for the paused runtime is not dispatched; its "why" says so.
        var secondScript = ClaimAndReview();
        var second = await env.CreateTaskAsync("waits for the runtime", secondScript);
        await env.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(second.Id);
            return t.Why?.Contains("paused by a rate limit", StringComparison.Ordinal) == true ? t : null;
        }, "the second task's why to name the pause");
        Assert.Empty(secondScript.Calls());

        await env.WaitForStatusAsync(limited.Id, "in_review");
        await env.WaitForStatusAsync(second.Id, "in_review");
        await AssertResumedAfterTheResetAsync(env, limited.Id, resetAt);
        Assert.All(secondScript.Calls(), c => Assert.True(c.ReceivedAt >= resetAt, $"{c} ran on the paused runtime"));
    }

    [Fact]
    public async Task Daemon_killed_after_the_pause_was_recorded_is_replaced_by_one_that_resumes_on_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        var limitedScript = ClaimAndReview().RejectFirstCallWithRateLimit(RateLimitWindow);
        var limited = await env.CreateTaskAsync("hits the limit", limitedScript);

        var first = env.StartDaemon();
        await WaitForRecordedPauseAsync(env, limited.Id);
        var resetAt = limitedScript.ResetAt!.Value;
        await first.KillHardAsync();
        Assert.True(TimeProvider.System.GetUtcNow() < resetAt, "the daemon was killed inside the pause window");

        // Work created while no daemon runs must not go to the paused runtime after the restart either.
        var secondScript = ClaimAndReview();
        var second = await env.CreateTaskAsync("waits for the runtime", secondScript);
        var fresh = env.StartDaemon();

        await env.WaitForStatusAsync(limited.Id, "in_review");
        await env.WaitForStatusAsync(second.Id, "in_review");
        await AssertResumedAfterTheResetAsync(env, limited.Id, resetAt);
        Assert.All(secondScript.Calls(), c => Assert.True(c.ReceivedAt >= resetAt, $"{c} ran on the paused runtime"));
        Assert.False(fresh.HasExited, fresh.Output);
    }

    private static List<RecordedRequest> CallsFor(RealDaemonEnvironment env, string taskId) =>
        env.Api.ModelRequests.Where(r => r.UserTexts.Any(t => t.Contains("Task ID: " + taskId, StringComparison.Ordinal))).ToList();

    private static FakeMessageReply Step(string? text, string command) => ScriptedAgent.Bash(text, command);

    private static ScriptedAgent ClaimAndReview() => new(
        Step("Claiming.", "ak task claim"),
        Step(null, "ak task review"),
        FakeReply.Text("In review."));

    private static async Task<StoredSessionView> WaitForRecordedPauseAsync(RealDaemonEnvironment env, string taskId)
    {
        var session = await env.WaitAsync(async () =>
        {
            var rows = await StoreReader.SessionsAsync(env.StateDir);
            return rows.FirstOrDefault(s => s.TaskId == taskId && s.State == SessionState.RateLimited && s.ResumeAfterMs is not null);
        }, "the rate-limit pause to be recorded in the daemon's store");
        Assert.NotNull(await StoreReader.PauseUntilAsync(env.StateDir, RuntimeNames.Claude));
        return session;
    }

    /// <summary>
    /// From the fake API's request log: the first call was rejected; the next one came after the reset, continued the
    /// same conversation (same CLI session id, i.e. <c>--resume</c>) with the resume prompt, and the run went on from there.
    /// </summary>
    private static async Task AssertResumedAfterTheResetAsync(RealDaemonEnvironment env, string taskId, DateTimeOffset resetAt)
    {
        // The final text turn comes after `ak task review`, so it may still be on its way when the task is in review.
        var calls = await env.WaitAsync(
            () => Task.FromResult(CallsFor(env, taskId) is { Count: >= 4 } all ? all : null), "the resumed run's final turn");
        Assert.True(calls.Count == 4, $"expected the rejected call plus claim, review and the final turn: {string.Join(", ", calls)}");
        Assert.True(calls[0].ReceivedAt < resetAt, "the first call was the rejected one");
        Assert.All(calls, c => Assert.Equal(calls[0].SessionId, c.SessionId));
        Assert.True(calls[1].ReceivedAt >= resetAt, $"resumed at {calls[1].ReceivedAt:O}, before the reset {resetAt:O}");
        Measurements.Report($"claude: reset → resumed provider request: {(calls[1].ReceivedAt - resetAt).TotalMilliseconds:0} ms");
        Assert.Contains(calls[1].UserTexts, t => t.Contains(Prompts.RateLimitResume, StringComparison.Ordinal));
    }
}
