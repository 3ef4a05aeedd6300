using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeOpenAiResponses;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// The daemon with the real Codex CLI (0.169.0) and only the model faked (a Responses API fake that answers each task
/// from its script): the agent drives its task through <c>ak</c> from Codex's shell tool; a usage limit pauses the
/// session until the reset Codex recorded and the same thread is resumed after it — also by a fresh daemon after the
/// first was killed with SIGKILL inside the window; a rejected review resumes the same thread with the reviewer's reason.
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class CodexDaemonTests
{
    private static readonly TimeSpan RateLimitWindow = TimeSpan.FromSeconds(12);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Agent_claims_commits_in_its_worktree_and_asks_for_review()
    {
        await using var codex = await CodexEnvironment.CreateAsync();
        var script = new CodexScript(
            ResponsesReply.Command("ak task claim", text: "I will claim the task first.", reasoning: "Claim, then write the file."),
            ResponsesReply.Command("printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'", text: "Writing hello.txt and committing it."),
            ResponsesReply.Command("ak task note 'hello.txt is committed'"),
            ResponsesReply.Command("ak task review"),
            ResponsesReply.Text("Done: hello.txt is on the branch and the task is in review."));
        codex.StartDaemon();
        await codex.Env.WaitForDaemonReadyAsync();
        var task = await codex.CreateTaskAsync("write hello.txt", script);
        await codex.Env.WaitForStatusAsync(task.Id, "in_review");
        Measurements.Report($"codex: task created → first provider request: {(script.Calls()[0].ReceivedAt - task.CreatedAt).TotalMilliseconds:0} ms");

        // Every step ran in the real CLI, one thread, each command answered successfully.
        var calls = await codex.Env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 5 } all ? all : null), "the final turn");
        Assert.Equal(5, calls.Count);
        Assert.Single(calls.Select(c => c.SessionId).Distinct());
        Assert.All(calls.Skip(1), c => Assert.Contains("Process exited with code 0", c.ToolOutputs.Last(), StringComparison.Ordinal));
        // Our work protocol reached the model as a developer message of its own.
        Assert.Contains(calls[0].DeveloperTexts, t => t.Contains("ak task", StringComparison.Ordinal));

        var (workspace, branch) = await codex.Env.WorkspaceOfAsync(task.Id);
        Assert.Equal("hello\n", await RealDaemonEnvironment.GitAsync(workspace, "show", branch + ":hello.txt"));
        Assert.Equal("Add hello.txt", (await RealDaemonEnvironment.GitAsync(workspace, "log", "-1", "--format=%s", branch)).Trim());

        var activity = await codex.Env.Server.GetAsync($"api/tasks/{task.Id}/notes", ContractsJsonContext.Default.ListActivityDto);
        Assert.Contains(activity, a => a.Detail == "hello.txt is committed");
        await codex.Env.WaitAsync(async () =>
        {
            var messages = await codex.Env.Server.GetAsync($"api/tasks/{task.Id}/messages", ContractsJsonContext.Default.ListMessageDto);
            return messages.Any(m => m.Content == "I will claim the task first.")
                && messages.Any(m => m.Content.StartsWith("Done: hello.txt", StringComparison.Ordinal)) ? messages : null;
        }, "the agent's text to arrive as messages");

        // Codex's thread totals became the session's own counts: five calls of 100 input (30 cached) and 20 output.
        var session = await codex.Env.WaitAsync(async () =>
            (await codex.Env.Server.SessionsAsync(task.Id)).SingleOrDefault(s => s.OutputTokens >= 5 * 20), "the session's usage to be recorded");
        Assert.Equal((5 * 70, 5 * 20, 5 * 30), (session.InputTokens, session.OutputTokens, session.CacheReadTokens));

        var events = await codex.Env.WaitAsync(async () =>
        {
            var list = await codex.Env.Server.GetAsync($"api/tasks/{task.Id}/agent-events", ContractsJsonContext.Default.ListAgentEventDto);
            return list.Count(e => e.Kind == AgentEventKinds.ToolResult) >= 4 && list.Any(e => e.Kind == AgentEventKinds.TurnEnded) ? list : null;
        }, "the run's live events");
        Assert.Equal(4, events.Count(e => e.Kind == AgentEventKinds.ToolUse));
        Assert.Contains(events, e => e.Kind == AgentEventKinds.Text && e.Data?.GetProperty("text").GetString() == "I will claim the task first.");
    }

    [Fact]
    public async Task Usage_limit_pauses_the_session_until_the_recorded_reset_and_resumes_the_same_thread()
    {
        await using var codex = await CodexEnvironment.CreateAsync();
        var script = ClaimAndReview().RejectFirstCallWithUsageLimit(RateLimitWindow);
        var task = await codex.CreateTaskAsync("hits the usage limit", script);

        codex.StartDaemon();
        var paused = await WaitForRecordedPauseAsync(codex, task.Id);
        var resetAt = script.ResetAt!.Value;
        // The reset Codex recorded for the window used up (never earlier); the secondary window's later reset is not it.
        Assert.InRange(paused.ResumeAfterMs!.Value, resetAt.ToUnixTimeMilliseconds(), resetAt.AddMinutes(1).ToUnixTimeMilliseconds());

        await codex.Env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterTheResetAsync(codex, script, resetAt);
    }

    [Fact]
    public async Task Daemon_killed_inside_the_window_is_replaced_by_one_that_resumes_the_thread_on_time()
    {
        await using var codex = await CodexEnvironment.CreateAsync();
        var script = ClaimAndReview().RejectFirstCallWithUsageLimit(RateLimitWindow);
        var task = await codex.CreateTaskAsync("hits the usage limit", script);

        var first = codex.StartDaemon();
        await WaitForRecordedPauseAsync(codex, task.Id);
        var resetAt = script.ResetAt!.Value;
        await first.KillHardAsync();
        Assert.True(TimeProvider.System.GetUtcNow() < resetAt, "the daemon was killed inside the pause window");

        var fresh = codex.StartDaemon();
        await codex.Env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterTheResetAsync(codex, script, resetAt);
        Assert.False(fresh.HasExited, fresh.Output);
    }

    [Fact]
    public async Task Rejected_review_resumes_the_same_thread_in_the_same_worktree_with_the_reason()
    {
        await using var codex = await CodexEnvironment.CreateAsync();
        var script = new CodexScript(
            ResponsesReply.Command("ak task claim", text: "Claiming."),
            ResponsesReply.Command("printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt'"),
            ResponsesReply.Command("ak task review"),
            ResponsesReply.Text("In review."),
            // After the rejection: the same thread goes on.
            ResponsesReply.Command("printf 'bye\\n' > bye.txt && git add bye.txt && git commit -q -m 'Add bye.txt'", text: "Adding bye.txt as asked."),
            ResponsesReply.Command("ak task review"),
            ResponsesReply.Text("In review again."));
        var task = await codex.CreateTaskAsync("write hello.txt", script);
        codex.StartDaemon();
        await codex.Env.WaitForStatusAsync(task.Id, "in_review");
        await codex.Env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the first run's final turn");
        var (workspace, branch) = await codex.Env.WorkspaceOfAsync(task.Id);

        await codex.Env.Server.TransitionAsync(task.Id, "reject", "also add bye.txt");
        await codex.Env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 7 } all ? all : null), "the resumed run's final turn");
        await codex.Env.WaitForStatusAsync(task.Id, "in_review");

        var calls = script.Calls();
        Assert.All(calls, c => Assert.Equal(calls[0].SessionId, c.SessionId));
        Assert.Contains(calls[4].UserTexts, t => t.Contains("also add bye.txt", StringComparison.Ordinal));
        Assert.Equal(4, calls[4].ResponsesSoFar); // the first run's conversation came along
        Assert.Equal((workspace, branch), await codex.Env.WorkspaceOfAsync(task.Id));
        var log = await RealDaemonEnvironment.GitAsync(workspace, "log", "--format=%s", branch);
        Assert.Equal(["Add bye.txt", "Add hello.txt", "Initial commit"], log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Usage_limit_with_no_recorded_reset_pauses_for_the_default_window_and_resumes_the_same_thread()
    {
        await using var codex = await CodexEnvironment.CreateAsync();
        // The 429 names no windows: Codex records no reset, so the runtime reports the fallback and the daemon picks the pause.
        var script = ClaimAndReview().RejectCallWithUsageLimit(0, TimeSpan.FromHours(3), withWindows: false);
        var task = await codex.CreateTaskAsync("limited, reset unknown", script);

        codex.StartDaemon("--unknown-reset-pause", "15s");
        var paused = await WaitForRecordedPauseAsync(codex, task.Id);
        var pause = await StoreReader.PauseAsync(codex.Env.StateDir, RuntimeNames.Codex);
        Assert.NotNull(pause);
        Assert.Equal((int)AgentKanban.Core.Policies.PauseSource.NoResetGiven, pause.Value.Source);
        Assert.Equal(TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(pause.Value.UntilMs - pause.Value.DecidedAtMs));
        var resumeAfter = DateTimeOffset.FromUnixTimeMilliseconds(paused.ResumeAfterMs!.Value);

        await codex.Env.WaitForStatusAsync(task.Id, "in_review");
        await AssertResumedAfterTheResetAsync(codex, script, resumeAfter);
    }

    [Fact]
    public async Task A_thread_codex_lost_while_paused_is_started_afresh_and_told_what_happened_so_far()
    {
        await using var codex = await CodexEnvironment.CreateAsync();
        var script = new CodexScript(
                ResponsesReply.Command("ak task claim", text: "Claiming."),
                ResponsesReply.Command("ak task note 'the parser handles nested lists'"),
                ResponsesReply.Command("ak task review"),
                ResponsesReply.Text("In review."))
            .RejectCallWithUsageLimit(2, TimeSpan.FromSeconds(10));
        var task = await codex.CreateTaskAsync("parser", script);
        codex.StartDaemon();

        await WaitForRecordedPauseAsync(codex, task.Id);
        var lostThread = script.Calls()[0].SessionId!;
        // Codex's record of the thread disappears while the session waits for the window.
        var files = Directory.GetFiles(Path.Combine(codex.Env.Home, ".codex", "sessions"), $"rollout-*-{lostThread}.jsonl", SearchOption.AllDirectories);
        Assert.Single(files);
        File.Delete(files[0]);
        Assert.True(TimeProvider.System.GetUtcNow() < script.ResetAt, "the thread was lost inside the pause window");

        await codex.Env.WaitForStatusAsync(task.Id, "in_review");
        var calls = await codex.Env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 7 } all ? all : null), "the new thread's final turn");

        // Claim, note, the refused call; then a new thread from its first step.
        Assert.All(calls.Take(3), c => Assert.Equal(lostThread, c.SessionId));
        var fresh = calls[3];
        Assert.NotEqual(lostThread, fresh.SessionId);
        Assert.All(calls.Skip(3), c => Assert.Equal(fresh.SessionId, c.SessionId));
        Assert.Equal(0, fresh.ResponsesSoFar);
        var prompt = string.Join("\n", fresh.UserTexts);
        Assert.Contains("Task ID: " + task.Id, prompt, StringComparison.Ordinal);
        Assert.Contains("cannot be continued", prompt, StringComparison.Ordinal);
        Assert.Contains("the parser handles nested lists", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain((await codex.Env.Server.GetTaskAsync(task.Id)).Activity ?? [], a => a.Action == "released");
    }

    private static CodexScript ClaimAndReview() => new(
        ResponsesReply.Command("ak task claim", text: "Claiming."),
        ResponsesReply.Command("ak task review"),
        ResponsesReply.Text("In review."));

    private static async Task<StoredSessionView> WaitForRecordedPauseAsync(CodexEnvironment codex, string taskId)
    {
        var session = await codex.Env.WaitAsync(async () =>
        {
            var rows = await StoreReader.SessionsAsync(codex.Env.StateDir);
            return rows.FirstOrDefault(s => s.TaskId == taskId && s.State == SessionState.RateLimited && s.ResumeAfterMs is not null);
        }, "the rate-limit pause to be recorded in the daemon's store");
        Assert.NotNull(await StoreReader.PauseUntilAsync(codex.Env.StateDir, RuntimeNames.Codex));
        return session;
    }

    /// <summary>
    /// From the fake's request log: the first call was refused; the next came after the reset, in the same thread (the
    /// <c>session-id</c> header, i.e. <c>codex exec resume</c>), with the resume prompt, and the run went on from there.
    /// </summary>
    private static async Task AssertResumedAfterTheResetAsync(CodexEnvironment codex, CodexScript script, DateTimeOffset resetAt)
    {
        var calls = await codex.Env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= 4 } all ? all : null), "the resumed run's final turn");
        Assert.True(calls.Count == 4, $"expected the refused call plus claim, review and the final turn: {string.Join(", ", calls)}");
        Assert.True(calls[0].ReceivedAt < resetAt, "the first call was the refused one");
        Assert.All(calls, c => Assert.Equal(calls[0].SessionId, c.SessionId));
        Assert.True(calls[1].ReceivedAt >= resetAt, $"resumed at {calls[1].ReceivedAt:O}, before the reset {resetAt:O}");
        Measurements.Report($"codex: reset → resumed provider request: {(calls[1].ReceivedAt - resetAt).TotalMilliseconds:0} ms");
        Assert.Contains(calls[1].UserTexts, t => t.Contains(Prompts.RateLimitResume, StringComparison.Ordinal));
    }

    /// <summary>A <see cref="RealDaemonEnvironment"/> whose agent runs on Codex, with the fake Responses API it talks to.</summary>
    private sealed class CodexEnvironment : IAsyncDisposable
    {
        private readonly Dictionary<string, CodexScript> _scripts = new(StringComparer.Ordinal);

        private CodexEnvironment(RealDaemonEnvironment env, FakeResponsesServer api)
        {
            Env = env;
            Api = api;
            api.Respond(Route);
            // Codex reads its provider from $HOME/.codex (the daemon's HOME, which its agents share).
            var codexHome = Directory.CreateDirectory(Path.Combine(env.Home, ".codex")).FullName;
            File.WriteAllText(Path.Combine(codexHome, "config.toml"), api.CodexConfigToml());
        }

        public RealDaemonEnvironment Env { get; }

        public FakeResponsesServer Api { get; }

        public static async Task<CodexEnvironment> CreateAsync()
        {
            var env = await RealDaemonEnvironment.CreateAsync(Ct, runtime: RuntimeNames.Codex);
            return new CodexEnvironment(env, await FakeResponsesServer.StartAsync(Ct));
        }

        public async Task<TaskDto> CreateTaskAsync(string title, CodexScript script)
        {
            var task = await Env.CreateTaskAsync(title, null);
            lock (_scripts)
            {
                _scripts[task.Id] = script;
            }

            return task;
        }

        /// <summary>The daemon, with the provider key Codex's config names and nothing that would lead Codex elsewhere.</summary>
        public DaemonProcess StartDaemon(params string[] arguments) => Env.StartDaemon(new Dictionary<string, string?>
        {
            [FakeResponsesServer.KeyVariable] = "fake-key",
            ["OPENAI_API_KEY"] = null,
            ["CODEX_API_KEY"] = null,
            ["CODEX_HOME"] = null,
        }, arguments);

        public async ValueTask DisposeAsync()
        {
            await Env.DisposeAsync();
            await Api.DisposeAsync();
        }

        private ResponsesReply? Route(ResponsesRequest request)
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

    /// <summary>
    /// What the fake model answers for one task, step by step: the step is the number of model responses the conversation
    /// already holds, so a resumed thread (re-sent whole) continues where it stopped and a refused call is asked again.
    /// </summary>
    private sealed class CodexScript(params ResponsesReply[] steps)
    {
        private readonly Lock _gate = new();
        private readonly List<ResponsesRequest> _calls = [];
        private TimeSpan? _usageLimitWindow;
        private int _refusedCall;
        private bool _withWindows = true;
        private DateTimeOffset? _resetAt;

        /// <summary>The reset the refused call announced, once refused.</summary>
        public DateTimeOffset? ResetAt
        {
            get
            {
                lock (_gate)
                {
                    return _resetAt;
                }
            }
        }

        /// <summary>
        /// The first call is refused by the usage limit, the primary window resetting <paramref name="window"/> after the
        /// call arrives (whole seconds; timed from the call so a slow start-up does not eat into it).
        /// </summary>
        public CodexScript RejectFirstCallWithUsageLimit(TimeSpan window) => RejectCallWithUsageLimit(0, window);

        /// <summary>Like <see cref="RejectFirstCallWithUsageLimit"/> for the call numbered <paramref name="call"/> (0 = the first).</summary>
        public CodexScript RejectCallWithUsageLimit(int call, TimeSpan window, bool withWindows = true)
        {
            _refusedCall = call;
            _usageLimitWindow = window;
            _withWindows = withWindows;
            return this;
        }

        public ResponsesReply Next(ResponsesRequest request)
        {
            lock (_gate)
            {
                _calls.Add(request);
                if (_usageLimitWindow is { } window && _calls.Count == _refusedCall + 1)
                {
                    _resetAt = DateTimeOffset.FromUnixTimeSeconds((request.ReceivedAt + window).ToUnixTimeSeconds() + 1);
                    return ResponsesReply.UsageLimit(_resetAt.Value, withWindowHeaders: _withWindows);
                }

                var step = request.ResponsesSoFar;
                return step < steps.Length ? steps[step] : ResponsesReply.Text("Nothing left to do.");
            }
        }

        public List<ResponsesRequest> Calls()
        {
            lock (_gate)
            {
                return _calls.ToList();
            }
        }
    }
}
