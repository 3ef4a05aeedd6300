using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// Outages longer than the lease, with the real Claude Code CLI: the daemon is killed with SIGKILL and stays down until
/// the server has taken the task's lease back (a 4 s lease), then a fresh daemon takes the task again under a new
/// session and carries the same conversation on — the agent's own <c>ak task review</c> is accepted under its new
/// identity, without it having to claim again.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class OutageWithRealCliTests
{
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan RateLimitWindow = TimeSpan.FromSeconds(16);

    [Fact]
    public async Task Down_past_the_lease_during_a_rate_limit_pause_the_fresh_daemon_resumes_the_same_conversation_whose_review_is_accepted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct, LeaseTtl);
        // The agent claims, then its next model call hits the subscription limit.
        var script = new ScriptedAgent(
            Step("Claiming.", "ak task claim"),
            Step(null, "ak task review"),
            FakeReply.Text("In review.")).RejectCallWithRateLimit(1, RateLimitWindow);
        var task = await env.CreateTaskAsync("outlives its lease", script);

        var first = env.StartDaemon();
        var paused = await env.WaitAsync(async () =>
            (await StoreReader.SessionsAsync(env.StateDir)).FirstOrDefault(s => s.TaskId == task.Id && s.State == SessionState.RateLimited),
            "the rate-limit pause to be recorded");
        await first.KillHardAsync();
        var resetAt = script.ResetAt!.Value;

        // Nobody heartbeats for the task now: the server takes the lease back and the task is todo again, epoch bumped.
        var lapsed = await env.WaitForStatusAsync(task.Id, "todo");
        Assert.Contains(lapsed.Activity!, a => a.Action == "lease_expired");
        Assert.True(TimeProvider.System.GetUtcNow() < resetAt, "the lease lapsed inside the rate-limit window");

        var fresh = env.StartDaemon();
        var reviewed = await env.WaitForStatusAsync(task.Id, "in_review", TimeSpan.FromSeconds(90));

        // The same conversation, resumed only after the reset, under a new server session that the agent's review came from.
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the final turn");
        Assert.All(calls, c => Assert.Equal(calls[0].SessionId, c.SessionId));
        Assert.True(calls[2].ReceivedAt >= resetAt, $"resumed at {calls[2].ReceivedAt:O}, before the reset {resetAt:O}");
        Assert.Contains(calls[2].UserTexts, t => t.Contains(Prompts.RateLimitResume, StringComparison.Ordinal));
        var reviewResult = calls[3].ToolResults.Last();
        Assert.NotEqual(true, (bool?)reviewResult["is_error"]);

        var review = Assert.Single(reviewed.Activity!, a => a.Action == "review_requested");
        Assert.NotNull(review.SessionId);
        Assert.StartsWith(paused.Id + "-e", review.SessionId, StringComparison.Ordinal);
        Assert.Equal(review.SessionId, reviewed.ActiveSessionId);
        // The claim the agent made under the old lease was restored by the daemon under the new session, once.
        Assert.Single(reviewed.Activity!, a => a.Action == "claimed" && a.SessionId == review.SessionId);
        Assert.False(fresh.HasExited, fresh.Output);
    }

    [Fact]
    public async Task In_review_down_past_the_lease_and_rejected_meanwhile_the_fresh_daemon_resumes_the_conversation_with_the_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct, LeaseTtl);
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

        var first = env.StartDaemon();
        await env.WaitForStatusAsync(task.Id, "in_review");
        await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the first run's final turn");
        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);
        var session = await env.WaitAsync(async () =>
            (await StoreReader.SessionsAsync(env.StateDir)).SingleOrDefault(s => s.TaskId == task.Id && s.State == SessionState.InReview),
            "the daemon to record the session in review");
        await first.KillHardAsync();

        // The daemon stays away past the lease; a reviewer rejects meanwhile, and with no machine to take the rejection
        // the lease lapses and the task goes back to todo.
        await Task.Delay(LeaseTtl + TimeSpan.FromSeconds(1), TimeProvider.System, ct);
        await env.Server.TransitionAsync(task.Id, "reject", "also add bye.txt");
        var lapsed = await env.WaitForStatusAsync(task.Id, "todo");
        Assert.Contains(lapsed.Activity!, a => a.Action == "lease_expired");

        env.StartDaemon();
        var reviewed = await env.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(task.Id);
            return t.Status == "in_review" && t.Activity!.Count(a => a.Action == "review_requested") == 2 ? t : null;
        }, "the task to be back in review", TimeSpan.FromSeconds(90));

        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 7 } all ? all : null), "the resumed run's final turn");
        Assert.All(calls, c => Assert.Equal(calls[0].SessionId, c.SessionId));
        Assert.Contains(calls[4].UserTexts, t => t.Contains("also add bye.txt", StringComparison.Ordinal));
        Assert.NotEqual(true, (bool?)calls[6].ToolResults.Last()["is_error"]);
        var secondReview = reviewed.Activity!.Last(a => a.Action == "review_requested");
        Assert.StartsWith(session.Id + "-e", secondReview.SessionId, StringComparison.Ordinal);

        // Same worktree, same branch, both commits on it.
        Assert.Equal((workspace, branch), await env.WorkspaceOfAsync(task.Id));
        var log = await RealDaemonEnvironment.GitAsync(workspace, "log", "--format=%s", branch);
        Assert.Equal(["Add bye.txt", "Add hello.txt", "Initial commit"], log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static FakeMessageReply Step(string? text, string command) => ScriptedAgent.Bash(text, command);
}
