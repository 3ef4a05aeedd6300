using System.Collections;
using System.Globalization;
using System.Text.Json;
using AgentKanban.Contracts;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>One invocation of the fake <c>claude</c>, as it logged itself.</summary>
/// <param name="NamespacePid">Its pid as it saw it: inside the agent sandbox, the one in its own PID namespace.</param>
/// <param name="PidNamespace">Its PID namespace (<c>pid:[inode]</c>).</param>
public sealed record FakeInvocation(
    long At,
    int NamespacePid,
    string? ProviderSessionId,
    bool Resume,
    bool Concurrent,
    string? Prompt,
    bool HasSystemPrompt,
    string? AkSessionId,
    string? AkTaskId,
    string? AkEpoch,
    string? AkServer,
    bool HasAkToken,
    string? Path,
    string? Cwd,
    string? PidNamespace,
    long? StartTicks = null)
{
    /// <summary>Its pid on this machine while it runs (0 once no such process exists).</summary>
    public int Pid => TestProcesses.HostPid(PidNamespace, NamespacePid, StartTicks);
}

/// <summary>
/// Everything a daemon test needs: a real board server, a worker agent on the <c>claude</c> runtime played by the fake
/// CLI, a state dir, and the daemon — in this process (<see cref="StartInProcessAsync"/>) or as a separate process
/// that can be killed with SIGKILL (<see cref="StartProcess"/>). Disposing kills every process the test started.
/// </summary>
public sealed class DaemonTestEnvironment : IAsyncDisposable
{
    private readonly List<RunningDaemon> _inProcess = [];
    private readonly List<DaemonProcess> _processes = [];

    private DaemonTestEnvironment(BoardServer server, string root)
    {
        Server = server;
        Root = root;
        StateDir = Path.Combine(root, "state");
        FakeLog = Path.Combine(root, "fake-claude.jsonl");
        Marker = Guid.NewGuid().ToString("N");
        FakeClaude = TestPaths.WriteScript(root, "claude", $"exec \"{TestPaths.TestHostExecutable}\" fake-claude \"$@\"");
        Directory.CreateDirectory(Path.Combine(root, "config"));
    }

    public BoardServer Server { get; }
    public string Root { get; }
    public string StateDir { get; }
    public string FakeLog { get; }
    public string FakeClaude { get; }

    /// <summary>Set in every process this test starts, so leftovers can be found and killed.</summary>
    public string Marker { get; }

    public BoardDto Board { get; private set; } = null!;
    public AgentDto Agent { get; private set; } = null!;

    /// <summary>Extra variables for the daemon (and so its agents).</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = new(StringComparer.Ordinal);

    public static async Task<DaemonTestEnvironment> CreateAsync(
        TimeSpan? leaseTtl = null, string boardType = "ops", TimeSpan? eventRetention = null, bool postgres = false)
    {
        var server = await BoardServer.StartAsync(leaseTtl, eventRetention, postgres);
        var env = new DaemonTestEnvironment(server, TestPaths.NewTempDirectory("daemon"));
        env.Board = await server.CreateBoardAsync("board-" + env.Marker[..6], boardType);
        env.Agent = await server.CreateAgentAsync("worker-" + env.Marker[..6]);
        return env;
    }

    public Task<TaskDto> CreateTaskAsync(string title, params string[] fakeSteps) =>
        Server.CreateTaskAsync(Board.Id, title, Agent.Id, Description(fakeSteps));

    public static string? Description(string[] fakeSteps) =>
        fakeSteps.Length == 0 ? null : "A test task.\n" + string.Join('\n', fakeSteps.Select(s => "fake: " + s));

    /// <summary>The daemon's environment: the test process's, plus credentials, the fake runtime and short timings.</summary>
    public Dictionary<string, string?> DaemonEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = entry.Value as string;
        }

        env["AK_SERVER"] = Server.BaseUrl;
        env["AK_TOKEN"] = Server.AdminToken;
        env["AK_RUNTIME_CLAUDE"] = FakeClaude;
        // What a user running Claude on an API key has; without any credentials the heartbeat reports it unauthorized.
        env["ANTHROPIC_API_KEY"] = "sk-ant-fake";
        env["XDG_CONFIG_HOME"] = Path.Combine(Root, "config");
        env["FAKE_CLAUDE_LOG"] = FakeLog;
        env["AK_TEST_MARKER"] = Marker;
        env["AK_TEST_HEARTBEAT_MS"] = "2000";
        env["AK_TEST_POLL_MIN_MS"] = "500";
        env["AK_TEST_POLL_MAX_MS"] = "2000";
        env["AK_TEST_WATCH_MS"] = "1000";
        env["AK_TEST_REVIEW_POLL_MS"] = "500";
        env["AK_TEST_GRACE_MS"] = "2000";
        env["AK_TEST_DRAIN_MS"] = "3000";
        env.Remove("AK_CRASH_AT");
        env.Remove("AK_CRASH_ENABLE");
        foreach (var (name, value) in ExtraEnvironment)
        {
            env[name] = value;
        }

        return env;
    }

    /// <summary>The options <c>ak daemon run</c> would build, with test timings.</summary>
    public DaemonOptions Options()
    {
        var env = DaemonEnvironment();
        TimeSpan Ms(string name, TimeSpan fallback) =>
            env.TryGetValue(name, out var v) && v is not null ? TimeSpan.FromMilliseconds(double.Parse(v, CultureInfo.InvariantCulture)) : fallback;
        var defaults = new DaemonOptions();
        return new DaemonOptions
        {
            StateDir = StateDir,
            Environment = env,
            HandleSignals = false,
            LogToConsole = false,
            HeartbeatInterval = Ms("AK_TEST_HEARTBEAT_MS", defaults.HeartbeatInterval),
            PollMinInterval = Ms("AK_TEST_POLL_MIN_MS", defaults.PollMinInterval),
            PollMaxInterval = Ms("AK_TEST_POLL_MAX_MS", defaults.PollMaxInterval),
            TaskWatchInterval = Ms("AK_TEST_WATCH_MS", defaults.TaskWatchInterval),
            StopGracePeriod = Ms("AK_TEST_GRACE_MS", defaults.StopGracePeriod),
            ShutdownDrainTimeout = Ms("AK_TEST_DRAIN_MS", defaults.ShutdownDrainTimeout),
            StallTimeout = Ms("AK_TEST_STALL_MS", defaults.StallTimeout),
            ReviewPollInterval = Ms("AK_TEST_REVIEW_POLL_MS", defaults.ReviewPollInterval),
            GitHubRateLimitBackoff = Ms("AK_TEST_GH_BACKOFF_MS", defaults.GitHubRateLimitBackoff),
        };
    }

    public async Task<RunningDaemon> StartInProcessAsync(DaemonOptions? options = null)
    {
        var daemon = await DaemonHost.StartAsync(options ?? Options(), CancellationToken.None);
        _inProcess.Add(daemon);
        return daemon;
    }

    /// <summary>Stops an in-process daemon the graceful way (its agents' sessions stay active for the next start).</summary>
    public async Task StopInProcessAsync(RunningDaemon daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        _inProcess.Remove(daemon);
        await daemon.DisposeAsync();
    }

    /// <summary>
    /// Starts the daemon as its own process (the test host), so it can be killed for real. Another
    /// <paramref name="stateDir"/> is another machine (its own device id, machine key and store).
    /// </summary>
    public DaemonProcess StartProcess(IReadOnlyDictionary<string, string>? extra = null, string? stateDir = null)
    {
        var env = DaemonEnvironment();
        foreach (var (name, value) in extra ?? new Dictionary<string, string>())
        {
            env[name] = value;
        }

        var process = DaemonProcess.Start(stateDir ?? StateDir, env);
        _processes.Add(process);
        return process;
    }

    public IReadOnlyList<FakeInvocation> Invocations()
    {
        if (!File.Exists(FakeLog))
        {
            return [];
        }

        var list = new List<FakeInvocation>();
        using var stream = new FileStream(FakeLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            string? S(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            list.Add(new FakeInvocation(
                r.GetProperty("at").GetInt64(),
                r.GetProperty("pid").GetInt32(),
                S("provider_session_id"),
                r.GetProperty("resume").GetBoolean(),
                r.GetProperty("concurrent").GetBoolean(),
                S("prompt"),
                r.GetProperty("has_system_prompt").GetBoolean(),
                S("ak_session_id"),
                S("ak_task_id"),
                S("ak_epoch"),
                S("ak_server"),
                r.GetProperty("has_ak_token").GetBoolean(),
                S("path"),
                S("cwd"),
                S("pid_ns"),
                r.TryGetProperty("start_ticks", out var ticks) && ticks.ValueKind == JsonValueKind.Number ? ticks.GetInt64() : null));
        }

        return list;
    }

    /// <summary>Named events the fake agents logged (e.g. "tool-finished"), with the task they belong to.</summary>
    public IReadOnlyList<(string Mark, string? TaskId, int Pid)> Marks()
    {
        var path = FakeLog + ".marks";
        if (!File.Exists(path))
        {
            return [];
        }

        var list = new List<(string, string?, int)>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            list.Add((r.GetProperty("mark").GetString()!, r.GetProperty("ak_task_id").GetString(), r.GetProperty("pid").GetInt32()));
        }

        return list;
    }

    public IReadOnlyList<FakeInvocation> InvocationsFor(string taskId) => Invocations().Where(i => i.AkTaskId == taskId).ToList();

    public async Task<TaskDto> WaitForStatusAsync(string taskId, string status, TimeSpan? timeout = null) =>
        await Eventually.WaitAsync(async () =>
        {
            var task = await Server.GetTaskAsync(taskId);
            return task.Status == status ? task : null;
        }, $"task {taskId} to be {status}", timeout);

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _inProcess.ToArray())
        {
            daemon.Abort();
            await daemon.DisposeAsync();
        }

        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        TestProcesses.KillMarked(Marker);
        await Server.DisposeAsync();
        // AK_TEST_KEEP=1 keeps the state dir, logs and the fake agents' log for a post-mortem.
        if (Environment.GetEnvironmentVariable("AK_TEST_KEEP") != "1")
        {
            TestPaths.DeleteQuietly(Root);
        }
    }
}
