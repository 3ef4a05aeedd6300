using AgentKanban.Agents.Gemini;
using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeGemini;
using AgentKanban.IntegrationTests.GeminiCli;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// The daemon's promises end to end with the real Gemini CLI (found on the daemon's PATH, run in the daemon's sandbox)
/// and a fake Gemini API: the agent drives its task through <c>ak</c> to review; a quota refusal pauses the session
/// until the reset the CLI names (a retry delay, the next Pacific midnight for a daily quota, the daemon's own pause
/// when no time is given) and the same conversation goes on with <c>--resume</c>; a daemon killed with SIGKILL inside
/// the pause is replaced by one that resumes on time; a rejected review continues the conversation with the reason.
/// </summary>
[Collection(GeminiCliCollection.Name)]
public sealed class GeminiDaemonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Agent_claims_commits_in_its_worktree_and_asks_for_review()
    {
        await using var setup = await GeminiDaemon.CreateAsync(Ct);
        var env = setup.Env;
        var script = new GeminiScript(
            GeminiReply.Shell("I will claim the task first.", "ak task claim"),
            GeminiReply.Shell("Writing hello.txt and committing it.", "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            GeminiReply.Shell(null, "ak task note 'hello.txt is committed'"),
            GeminiReply.Shell(null, "ak task review"),
            GeminiReply.Text("Done: hello.txt is on the branch and the task is in review."));
        var task = await setup.CreateTaskAsync("write hello.txt", script);

        setup.StartDaemon();
        await env.WaitForStatusAsync(task.Id, "in_review");

        // One run, one conversation: each call re-sends the turns before it, and every tool call succeeded.
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 5 } all ? all : null), "the final turn");
        Measurements.Report($"gemini: dispatchable → first provider request: {(calls[0].ReceivedAt - env.DispatchableSince(task)).TotalMilliseconds:0} ms");
        Assert.Equal([0, 1, 2, 3, 4], calls.Select(c => c.ModelTurns));
        Assert.All(calls[4].FunctionResponses, r => Assert.DoesNotContain("error", r["response"]?.AsObject().Select(p => p.Key) ?? []));

        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);
        Assert.Equal("hello\n", await RealDaemonEnvironment.GitAsync(workspace, "show", branch + ":hello.txt"));
        Assert.Equal("Add hello.txt", (await RealDaemonEnvironment.GitAsync(workspace, "log", "-1", "--format=%s", branch)).Trim());

        var notes = await env.Server.GetAsync($"api/tasks/{task.Id}/notes", ContractsJsonContext.Default.ListActivityDto);
        Assert.Contains(notes, a => a.Detail == "hello.txt is committed");
        await env.WaitAsync(async () =>
        {
            var messages = await env.Server.GetAsync($"api/tasks/{task.Id}/messages", ContractsJsonContext.Default.ListMessageDto);
            return messages.Any(m => m.Content == "I will claim the task first.")
                && messages.Any(m => m.Content.StartsWith("Done: hello.txt", StringComparison.Ordinal)) ? messages : null;
        }, "the agent's text to arrive as messages");
        // The run's usage: five calls of 120 prompt tokens (20 of them cached) and 15 output tokens each.
        var session = await env.WaitAsync(async () =>
            (await env.Server.SessionsAsync(task.Id)).SingleOrDefault(s => s.OutputTokens == 5 * 15), "the session's usage to be recorded");
        Assert.Equal(5 * 100, session.InputTokens);
    }

    [Fact]
    public async Task A_retry_delay_pauses_the_session_and_the_same_conversation_resumes_after_it()
    {
        await using var setup = await GeminiDaemon.CreateAsync(Ct);
        var env = setup.Env;
        // The second call: the CLI keeps a conversation only once the model has answered in it (see the test below).
        var script = ClaimAndReview().RefuseCall(1, GeminiReply.RetryIn(TimeSpan.FromSeconds(12)));
        var task = await setup.CreateTaskAsync("hits the limit", script);

        setup.StartDaemon();
        var paused = await WaitForRecordedPauseAsync(env, task.Id);
        // The delay counts from when the CLI reported the refusal: after the call arrived, before the pause was seen.
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs!.Value), script.RefusedAt!.Value.AddSeconds(12),
            TimeProvider.System.GetUtcNow().AddSeconds(12));

        await env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterAsync(env, script, DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs.Value));
    }

    [Fact]
    public async Task A_daily_quota_pauses_the_runtime_until_the_next_Pacific_midnight()
    {
        await using var setup = await GeminiDaemon.CreateAsync(Ct);
        var env = setup.Env;
        var script = ClaimAndReview().RefuseCall(0, GeminiReply.DailyQuota());
        var task = await setup.CreateTaskAsync("hits the daily quota", script);
        var before = TimeProvider.System.GetUtcNow();

        setup.StartDaemon();
        var paused = await WaitForRecordedPauseAsync(env, task.Id);

        var after = TimeProvider.System.GetUtcNow();
        var midnights = new[] { PacificTime.NextMidnight(before).ToUnixTimeMilliseconds(), PacificTime.NextMidnight(after).ToUnixTimeMilliseconds() };
        Assert.Contains(paused.ResumeAfterMs!.Value, midnights);
        Assert.Contains((await StoreReader.PauseUntilAsync(env.StateDir, RuntimeNames.Gemini))!.Value, midnights);
        Assert.Single(script.Calls());
    }

    [Fact]
    public async Task A_refusal_without_a_time_pauses_for_the_daemons_window_and_resumes_the_same_conversation()
    {
        await using var setup = await GeminiDaemon.CreateAsync(Ct);
        var env = setup.Env;
        var script = ClaimAndReview().RefuseCall(1, GeminiReply.Exhausted());
        var task = await setup.CreateTaskAsync("hits an unnamed limit", script);

        setup.StartDaemon("--unknown-reset-pause", "15s");
        var paused = await WaitForRecordedPauseAsync(env, task.Id);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs!.Value), script.RefusedAt!.Value.AddSeconds(15),
            TimeProvider.System.GetUtcNow().AddSeconds(15));

        await env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterAsync(env, script, DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs.Value));
    }

    [Fact]
    public async Task A_refusal_of_the_first_call_leaves_no_conversation_so_the_task_starts_afresh_after_the_reset()
    {
        // The CLI takes a refused prompt back out of its session file, and a session with no prompt in it cannot be
        // resumed ("No previous sessions found"): the resume after the reset reports the conversation lost, and the
        // daemon starts a new one that carries the task and what happened so far.
        await using var setup = await GeminiDaemon.CreateAsync(Ct);
        var env = setup.Env;
        var script = ClaimAndReview().RefuseCall(0, GeminiReply.RetryIn(TimeSpan.FromSeconds(10)));
        var task = await setup.CreateTaskAsync("hits the limit at once", script);

        setup.StartDaemon();
        var paused = await WaitForRecordedPauseAsync(env, task.Id);
        var resumeAfter = DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs!.Value);
        await env.WaitForStatusAsync(task.Id, "in_review");

        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the new conversation's final turn");
        Assert.True(calls[1].ReceivedAt >= resumeAfter, $"started again at {calls[1].ReceivedAt:O}, before {resumeAfter:O}");
        Assert.Equal([0, 0, 1, 2], calls.Select(c => c.ModelTurns));
        var prompt = calls[1].UserTexts.Single(t => t.Contains("Task ID: " + task.Id, StringComparison.Ordinal));
        Assert.Contains("You worked on this task before", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_killed_inside_the_pause_is_replaced_by_one_that_resumes_on_time()
    {
        await using var setup = await GeminiDaemon.CreateAsync(Ct);
        var env = setup.Env;
        var script = ClaimAndReview().RefuseCall(1, GeminiReply.RetryIn(TimeSpan.FromSeconds(15)));
        var task = await setup.CreateTaskAsync("hits the limit", script);

        var first = setup.StartDaemon();
        var paused = await WaitForRecordedPauseAsync(env, task.Id);
        var resumeAfter = DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs!.Value);
        await first.KillHardAsync();
        Assert.True(TimeProvider.System.GetUtcNow() < resumeAfter, "the daemon was killed inside the pause window");

        var fresh = setup.StartDaemon();
        await env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterAsync(env, script, resumeAfter);
        Assert.False(fresh.HasExited, fresh.Output);
    }

    [Fact]
    public async Task Rejected_review_resumes_the_same_conversation_in_the_same_worktree_with_the_reason()
    {
        await using var setup = await GeminiDaemon.CreateAsync(Ct);
        var env = setup.Env;
        var script = new GeminiScript(
            GeminiReply.Shell("Claiming.", "ak task claim"),
            GeminiReply.Shell(null, "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            GeminiReply.Shell(null, "ak task review"),
            GeminiReply.Text("In review."),
            // After the rejection: the same conversation goes on.
            GeminiReply.Shell("Adding bye.txt as asked.", "printf 'bye\\n' > bye.txt && git add bye.txt && git commit -q -m 'Add bye.txt'"),
            GeminiReply.Shell(null, "ak task review"),
            GeminiReply.Text("In review again."));
        var task = await setup.CreateTaskAsync("write hello.txt", script);
        setup.StartDaemon();
        await env.WaitForStatusAsync(task.Id, "in_review");
        await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the first run's final turn");
        var (workspace, branch) = await env.WorkspaceOfAsync(task.Id);

        await env.Server.TransitionAsync(task.Id, "reject", "also add bye.txt");
        await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 7 } all ? all : null), "the resumed run's final turn");
        await env.WaitForStatusAsync(task.Id, "in_review");

        var calls = script.Calls();
        // The resumed run re-sends the first run's four model turns, then the rejection's reason as the new prompt.
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], calls.Select(c => c.ModelTurns));
        Assert.Contains(calls[4].UserTexts, t => t.Contains("also add bye.txt", StringComparison.Ordinal));
        Assert.Equal(["ak task claim", "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'", "ak task review"],
            calls[4].ReplayedCommands);
        Assert.Equal((workspace, branch), await env.WorkspaceOfAsync(task.Id));
        var log = await RealDaemonEnvironment.GitAsync(workspace, "log", "--format=%s", branch);
        Assert.Equal(["Add bye.txt", "Add hello.txt", "Initial commit"], log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // One conversation in the CLI's store (a resume may start a new file for it, named by the same session id).
        Assert.Single(setup.SessionFiles().Select(f => Path.GetFileNameWithoutExtension(f)[^8..]).Distinct());
    }

    private static GeminiScript ClaimAndReview() => new(
        GeminiReply.Shell("Claiming.", "ak task claim"),
        GeminiReply.Shell(null, "ak task review"),
        GeminiReply.Text("In review."));

    private static async Task<StoredSessionView> WaitForRecordedPauseAsync(RealDaemonEnvironment env, string taskId)
    {
        var session = await env.WaitAsync(async () =>
        {
            var rows = await StoreReader.SessionsAsync(env.StateDir);
            return rows.FirstOrDefault(s => s.TaskId == taskId && s.State == SessionState.RateLimited && s.ResumeAfterMs is not null);
        }, "the rate-limit pause to be recorded in the daemon's store");
        Assert.NotNull(await StoreReader.PauseUntilAsync(env.StateDir, RuntimeNames.Gemini));
        return session;
    }

    /// <summary>
    /// The claim ran, the next call was refused; the call after it came after the reset and continued the same
    /// conversation: it re-sends the first turn (the claim), with the daemon's resume prompt as the newest user text.
    /// </summary>
    private static async Task AssertResumedAfterAsync(RealDaemonEnvironment env, GeminiScript script, DateTimeOffset resumeAfter)
    {
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the resumed run's final turn");
        Assert.True(calls.Count == 4, $"expected claim, the refused call, review and the final turn: {string.Join(", ", calls)}");
        Assert.True(calls[1].ReceivedAt < resumeAfter, "the second call was the refused one");
        Assert.True(calls[2].ReceivedAt >= resumeAfter, $"resumed at {calls[2].ReceivedAt:O}, before {resumeAfter:O}");
        Measurements.Report($"gemini: reset → resumed provider request: {(calls[2].ReceivedAt - resumeAfter).TotalMilliseconds:0} ms");
        Assert.Equal([0, 1, 1, 2], calls.Select(c => c.ModelTurns));
        Assert.Equal(["ak task claim"], calls[2].ReplayedCommands);
        Assert.Equal(calls[0].UserTexts.First(t => t.Contains("Task ID: ", StringComparison.Ordinal)),
            calls[2].UserTexts.First(t => t.Contains("Task ID: ", StringComparison.Ordinal)));
        Assert.Contains(Prompts.RateLimitResume, calls[2].UserTexts.Last(), StringComparison.Ordinal);
        // The refused call left the claim's result without an answer: the CLI marks that turn as interrupted.
        Assert.Contains(RecordedGeminiRequest.InterruptedMarker, calls[2].ModelTexts);
    }

    /// <summary>A <see cref="RealDaemonEnvironment"/> with a Gemini agent and the fake Gemini API its daemon points the CLI at.</summary>
    private sealed class GeminiDaemon : IAsyncDisposable
    {
        private readonly Dictionary<string, GeminiScript> _scripts = new(StringComparer.Ordinal);

        private GeminiDaemon(RealDaemonEnvironment env, FakeGeminiServer api)
        {
            Env = env;
            Api = api;
            api.Respond(Route);
        }

        public RealDaemonEnvironment Env { get; }

        public FakeGeminiServer Api { get; }

        public static async Task<GeminiDaemon> CreateAsync(CancellationToken cancellationToken)
        {
            var env = await RealDaemonEnvironment.CreateAsync(cancellationToken, runtime: RuntimeNames.Gemini);
            var api = await FakeGeminiServer.StartAsync(cancellationToken);
            await GeminiCliSandbox.WriteSettingsAsync(env.Home, cancellationToken);
            return new GeminiDaemon(env, api);
        }

        public async Task<TaskDto> CreateTaskAsync(string title, GeminiScript script)
        {
            var task = await Env.CreateTaskAsync(title, null);
            lock (_scripts)
            {
                _scripts[task.Id] = script;
            }

            return task;
        }

        public DaemonProcess StartDaemon(params string[] arguments) =>
            Env.StartDaemon(GeminiCliSandbox.ProviderEnvironment(Api.BaseUrl, Env.Home), arguments);

        /// <summary>The conversations the CLI stored under its home.</summary>
        public List<string> SessionFiles() =>
            Directory.EnumerateFiles(Path.Combine(Env.Home, ".gemini", "tmp"), "session-*", SearchOption.AllDirectories).ToList();

        public async ValueTask DisposeAsync()
        {
            await Env.DisposeAsync();
            await Api.DisposeAsync();
        }

        private GeminiReply? Route(RecordedGeminiRequest request)
        {
            lock (_scripts)
            {
                foreach (var (taskId, script) in _scripts)
                {
                    if (request.UserTexts.Any(t => t.Contains("Task ID: " + taskId, StringComparison.Ordinal)))
                    {
                        return script.Next(request);
                    }
                }
            }

            return null;
        }
    }
}
