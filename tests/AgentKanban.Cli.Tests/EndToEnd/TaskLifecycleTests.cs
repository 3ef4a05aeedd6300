using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.EndToEnd;

/// <summary>
/// The lifecycle through <c>ak task …</c> with the role rules: an agent (session identity in its environment)
/// claims, notes and asks for review of its own task; the user rejects, completes and cancels.
/// </summary>
public sealed class TaskLifecycleTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private AkCli User => server.UserCli(_home);

    private async Task<(string TaskId, string AgentId)> AssignedTaskAsync(string title)
    {
        var boardName = Json.Unique("ops");
        var agentName = Json.Unique("claude");
        await User.OkAsync("create", "board", "--name", boardName, "--type", "ops");
        var agentId = Json.Id(await User.OkAsync("create", "agent", "--username", agentName, "--runtime", "claude", "-o", "json"));
        var taskId = Json.Id(await User.OkAsync("create", "task", "--board", boardName, "--title", title, "--assign-to", agentName, "-o", "json"));
        return (taskId, agentId);
    }

    [Fact]
    public async Task Agent_claims_notes_and_requests_review_then_the_user_rejects_and_completes()
    {
        var ct = TestContext.Current.CancellationToken;
        var (taskId, agentId) = await AssignedTaskAsync("Implement search");

        // A user may not claim: that is the worker's move.
        var userClaim = await User.RunAsync("task", "claim", taskId);
        Assert.Equal(1, userClaim.ExitCode);
        Assert.StartsWith("error: ", userClaim.Err, StringComparison.Ordinal);

        var identity = await server.StartAgentSessionAsync(taskId, agentId, ct);
        var agent = new AkCli(_home.Path).With(identity.Env(server.Url));

        Assert.Equal($"task/{taskId} claimed: now in_progress", (await agent.OkAsync("task", "claim")).Out.Trim());
        Assert.Equal($"note added to task/{taskId}", (await agent.OkAsync("task", "note", "indexing works")).Out.Trim());
        await agent.OkAsync("task", "message", "should I also add filters?");
        var reviewed = Json.Object(await agent.OkAsync("task", "review", "--pr-url", "https://example.com/acme/web/pull/7", "-o", "json"));
        Assert.Equal(("in_review", "https://example.com/acme/web/pull/7"), (reviewed.Str("status"), reviewed.Str("pr_url")));

        Assert.Equal("in_progress", Json.Object(await User.OkAsync("task", "reject", taskId, "--reason", "add tests", "-o", "json")).Str("status"));
        await agent.OkAsync("task", "review");
        Assert.Equal("done", Json.Object(await User.OkAsync("task", "complete", taskId, "-o", "json")).Str("status"));

        var again = await User.RunAsync("task", "complete", taskId);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("error: Cannot complete a task that is done (allowed from: in_review)", again.Err.Trim());

        var page = (await User.OkAsync("describe", "task", taskId)).Out;
        Assert.Contains("claimed", page, StringComparison.Ordinal);
        Assert.Contains("indexing works", page, StringComparison.Ordinal);
        Assert.Contains("review_requested", page, StringComparison.Ordinal);
        Assert.Contains("add tests", page, StringComparison.Ordinal);
        Assert.Contains("should I also add filters?", page, StringComparison.Ordinal);

        var whoami = Json.Object(await agent.OkAsync("whoami", "-o", "json"));
        Assert.Equal(identity.SessionId, whoami.Str("session_id") ?? whoami.Str("id"));
    }

    [Fact]
    public async Task Machines_and_sessions_are_listed_and_described()
    {
        var ct = TestContext.Current.CancellationToken;
        var (taskId, agentId) = await AssignedTaskAsync("Observe me");
        var identity = await server.StartAgentSessionAsync(taskId, agentId, ct);

        var sessions = Json.Array(await User.OkAsync("get", "sessions", "--task", taskId, "-o", "json"));
        var machines = Json.Array(await User.OkAsync("get", "machines", "-o", "json"));
        var machinePage = (await User.OkAsync("describe", "machine", identity.MachineId)).Out;
        var sessionPage = (await User.OkAsync("describe", "session", identity.SessionId)).Out;
        var sessionTable = (await User.OkAsync("get", "sessions", "--task", taskId)).Out;

        Assert.Equal([identity.SessionId], sessions.Select(x => x!.Str("id")));
        Assert.Contains(machines, m => m!.Str("id") == identity.MachineId);
        Assert.Contains("Runtimes:", machinePage, StringComparison.Ordinal);
        Assert.Contains("claude", machinePage, StringComparison.Ordinal);
        Assert.Contains(identity.SessionId, sessionPage, StringComparison.Ordinal);
        Assert.Contains("TOKENS_IN", sessionTable, StringComparison.Ordinal);
        Assert.Equal(identity.SessionId, Json.Object(await User.OkAsync("get", "session", identity.SessionId, "-o", "json")).Str("id"));
    }

    [Fact]
    public async Task An_agent_cannot_complete_its_own_work()
    {
        var ct = TestContext.Current.CancellationToken;
        var (taskId, agentId) = await AssignedTaskAsync("Self-approve");
        var identity = await server.StartAgentSessionAsync(taskId, agentId, ct);
        var agent = new AkCli(_home.Path).With(identity.Env(server.Url));
        await agent.OkAsync("task", "claim");
        await agent.OkAsync("task", "review");

        var complete = await agent.RunAsync("task", "complete");

        Assert.Equal(1, complete.ExitCode);
        Assert.StartsWith("error: ", complete.Err, StringComparison.Ordinal);
        Assert.Equal("in_review", Json.Object(await User.OkAsync("get", "task", taskId, "-o", "json")).Str("status"));
    }

    [Fact]
    public async Task A_user_cancels_and_releases()
    {
        var (todo, _) = await AssignedTaskAsync("Not needed");

        Assert.Equal("cancelled", Json.Object(await User.OkAsync("task", "cancel", todo, "-o", "json")).Str("status"));
        var release = await User.RunAsync("task", "release", todo);
        Assert.Equal(1, release.ExitCode);
        Assert.Contains("cancelled", release.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_id_or_AK_TASK_ID_the_task_commands_are_usage_errors()
    {
        var result = await User.RunAsync("task", "claim");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("AK_TASK_ID", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_session_key_is_a_clear_error()
    {
        var agent = new AkCli(_home.Path).With(("AK_SERVER", server.Url), ("AK_SESSION_ID", "s1"), ("AK_SESSION_KEY", "not-base64!"), ("AK_TASK_ID", "t1"));

        var result = await agent.RunAsync("task", "claim");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("AK_SESSION_KEY", result.Err, StringComparison.Ordinal);
    }
}
