using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using AgentKanban.Benchmarks.Server;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon;
using AgentKanban.Daemon.Store;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Benchmarks.Daemon;

/// <summary>
/// End-to-end daemon latencies against a real server on loopback (server and daemon both in this process; the
/// daemon restart with real processes is <see cref="DaemonRestartHarness"/>), with the product's default caps unless
/// <c>--caps N</c> raises both, with a tiny shell script as the agent runtime (so
/// the numbers are the daemon's, not an agent CLI's start-up). A benchmark, not a test:
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --daemon [dispatch-push|dispatch-poll|resume|resume-lapsed|all] [--count N] [--sandbox on|off]</c>.
/// <list type="bullet">
/// <item>dispatch: task created (assigned) → agent process started, p50/p95, by push (event stream) and by polling alone;</item>
/// <item>resume: N sessions rate limited until one reset instant → each agent restarted, latency after the instant, p50/p99;</item>
/// <item>resume-lapsed: as resume, but the daemon is down from the limit until after the server took every lease back
/// (a 3 s lease): a fresh daemon takes each task again (new lease, new server session, claim restored) and resumes it;</item>
/// </list>
/// </summary>
public static class DaemonHarness
{
    public static bool Handles(string[] args) => args is ["--daemon", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var scenario = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : "all";
        int? count = null;
        var batch = 10;
        int? caps = null;
        for (var i = 1; i < args.Length - 1; i++)
        {
            if (args[i] == "--count")
            {
                count = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--batch")
            {
                batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--sandbox")
            {
                SandboxOn = args[i + 1] != "off";
            }
            else if (args[i] == "--caps")
            {
                caps = args[i + 1] == "default" ? null : int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
        }

        Caps = caps;
        Console.WriteLine(SandboxOn ? "agents in the sandbox (the default)" : "agents WITHOUT the sandbox (--sandbox off)");
        Console.WriteLine(caps is null
            ? "daemon in this process (in-process server), default caps: 3 agents per runtime, 6 in all"
            : $"daemon in this process (in-process server), RAISED caps: {caps} per runtime and in all");
        if (scenario is "dispatch-push" or "all")
        {
            await DispatchAsync(push: true, count ?? 30);
        }

        if (scenario is "dispatch-poll" or "all")
        {
            await DispatchAsync(push: false, count ?? 15);
        }

        if (scenario is "resume" or "all")
        {
            // Rounds of `batch` sessions sharing one reset instant, and once all N at the same instant. Under the default
            // caps (3 per runtime) the 4th and later wait for a slot: their latency includes that wait.
            var total = count ?? 50;
            var samples = new List<double>();
            for (var done = 0; done < total; done += batch)
            {
                samples.AddRange(await ResumeAsync(Math.Min(batch, total - done)));
            }

            Report($"resume latency after the reset instant ({total} sessions, {batch} per reset instant)", samples, 50, 99);
            Report($"resume latency after the reset instant ({total} sessions, all at one instant)", await ResumeAsync(total), 50, 99);
        }

        if (scenario is "resume-lapsed" or "all")
        {
            var total = count ?? 20;
            var samples = new List<double>();
            for (var done = 0; done < total; done += batch)
            {
                samples.AddRange(await ResumeAfterLapsedLeasesAsync(Math.Min(batch, total - done)));
            }

            Report($"resume latency after the reset instant, daemon down past the lease ({total} sessions, {batch} per reset instant)", samples, 50, 99);
        }

        return 0;
    }

    /// <summary>Both concurrency caps, or null for the product's defaults (<see cref="DaemonOptions"/>: 3 per runtime, 6 in all).</summary>
    private static int? Caps { get; set; }

    /// <summary>Agents run in the sandbox unless <c>--sandbox off</c>.</summary>
    private static bool SandboxOn { get; set; } = true;

    /// <summary>
    /// A started agent that claims its task and ends with a result, so it frees its slot (under the default caps a
    /// sleeping agent would hold one of the three for good). It claims, or the daemon would count every run as a runtime
    /// failing before its agents claim, and open the runtime's circuit. The run ends without review.
    /// </summary>
    private const string QuickAgent = """
            sid=""; prev=""
            for a in "$@"; do [ "$prev" = "--session-id" ] || [ "$prev" = "--resume" ] && sid="$a"; prev="$a"; done
            echo "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$sid\"}"
            ak task claim > /dev/null 2>&1
            echo "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"done\",\"session_id\":\"$sid\"}"
            exit 0
            """;

    private static async Task DispatchAsync(bool push, int count)
    {
        await using var bench = await Bench.StartAsync(QuickAgent);
        var started = new ConcurrentDictionary<string, long>();
        var options = bench.Options(started) with { UseEventStream = push };
        await using var daemon = await DaemonHost.StartAsync(options, CancellationToken.None);
        var latencies = new List<double>();
        for (var i = 0; i < count; i++)
        {
            // A random gap, so the poll-only run samples every phase of the polling interval.
            await Task.Delay(200 + Random.Shared.Next(800));
            var t0 = Stopwatch.GetTimestamp();
            var task = await bench.CreateTaskAsync($"dispatch {i}");
            var t1 = await WaitForAsync(started, task.Id, TimeSpan.FromMinutes(3));
            latencies.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
        }

        Report($"dispatch latency ({(push ? "push" : "poll only")}, {count} tasks)", latencies, 50, 95);
        daemon.Abort();
    }

    /// <summary>The agent: first run waits for LIMIT_AT, reports a rejected limit resetting at RESET_AT, exits; a resume sleeps.</summary>
    private const string LimitedAgent = """
            case "$*" in *--resume*) exec /bin/sh -c "$BENCH_QUICK_AGENT" sh "$@";; esac
            sid=""; prev=""
            for a in "$@"; do [ "$prev" = "--session-id" ] && sid="$a"; prev="$a"; done
            echo "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$sid\"}"
            while [ "$(date +%s)" -lt "$BENCH_LIMIT_AT" ]; do sleep 0.1; done
            echo "{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"rejected\",\"resetsAt\":$BENCH_RESET_AT,\"rateLimitType\":\"five_hour\"}}"
            echo "{\"type\":\"result\",\"subtype\":\"error_during_execution\",\"is_error\":true,\"session_id\":\"$sid\"}"
            exit 1
            """;

    private static async Task<List<double>> ResumeAsync(int count)
    {
        await using var bench = await Bench.StartAsync(LimitedAgent);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var limitAt = now + 5 + (count / 5);
        var resetAt = limitAt + 6;
        var resumed = new ConcurrentDictionary<string, long>();
        var options = bench.Options(resumed, onlyResumes: true, extraEnvironment: new()
        {
            ["BENCH_LIMIT_AT"] = limitAt.ToString(CultureInfo.InvariantCulture),
            ["BENCH_RESET_AT"] = resetAt.ToString(CultureInfo.InvariantCulture),
        });
        var tasks = new List<TaskDto>();
        for (var i = 0; i < count; i++)
        {
            tasks.Add(await bench.CreateTaskAsync($"resume {i}"));
        }

        await using var daemon = await DaemonHost.StartAsync(options, CancellationToken.None);
        var resetTimestamp = TimestampAt(DateTimeOffset.FromUnixTimeSeconds(resetAt));
        var latencies = new List<double>();
        foreach (var task in tasks)
        {
            var at = await WaitForAsync(resumed, task.Id, TimeSpan.FromMinutes(5));
            latencies.Add(Stopwatch.GetElapsedTime(resetTimestamp, at).TotalMilliseconds);
        }

        daemon.Abort();
        return latencies;
    }

    /// <summary>
    /// Sessions rate limited, then the daemon is down until the server has taken every lease back (tasks todo again,
    /// epochs bumped); a fresh daemon, started before the reset, must take each task again and resume it at the reset.
    /// </summary>
    private static async Task<List<double>> ResumeAfterLapsedLeasesAsync(int count)
    {
        var leaseTtl = TimeSpan.FromSeconds(3);
        await using var bench = await Bench.StartAsync(LimitedAgent, leaseTtl);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var limitAt = now + 4 + (count / 5);
        var resetAt = limitAt + 12;
        var env = new Dictionary<string, string>
        {
            ["BENCH_LIMIT_AT"] = limitAt.ToString(CultureInfo.InvariantCulture),
            ["BENCH_RESET_AT"] = resetAt.ToString(CultureInfo.InvariantCulture),
        };
        var tasks = new List<TaskDto>();
        for (var i = 0; i < count; i++)
        {
            tasks.Add(await bench.CreateTaskAsync($"lapsed {i}"));
        }

        var ignored = new ConcurrentDictionary<string, long>();
        var first = await DaemonHost.StartAsync(bench.Options(ignored, extraEnvironment: env), CancellationToken.None);
        while ((await first.Sessions.ListInStateAsync(SessionState.RateLimited, CancellationToken.None)).Count < count)
        {
            await Task.Delay(100);
        }

        first.Abort();
        await first.DisposeAsync();
        foreach (var task in tasks)
        {
            while (await bench.GetTaskAsync(task.Id) is { Status: not "todo" } or { Lease: not null })
            {
                await Task.Delay(100);
            }
        }

        if (TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() >= resetAt - 2)
        {
            throw new InvalidOperationException("the leases lapsed too late: the window had nearly ended");
        }

        var resumed = new ConcurrentDictionary<string, long>();
        await using var second = await DaemonHost.StartAsync(bench.Options(resumed, onlyResumes: true, extraEnvironment: env), CancellationToken.None);
        var resetTimestamp = TimestampAt(DateTimeOffset.FromUnixTimeSeconds(resetAt));
        var latencies = new List<double>();
        foreach (var task in tasks)
        {
            var at = await WaitForAsync(resumed, task.Id, TimeSpan.FromMinutes(5));
            latencies.Add(Stopwatch.GetElapsedTime(resetTimestamp, at).TotalMilliseconds);
        }

        second.Abort();
        return latencies;
    }

    /// <summary>Closed sessions from earlier work, written straight into the store (they only have to be there).</summary>
    internal static async Task AddHistoryAsync(string stateDir, int count)
    {
        await using var database = await DaemonDatabase.OpenAsync(Path.Combine(stateDir, "daemon.db"), CancellationToken.None);
        var now = TimeProvider.System.GetUtcNow();
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        await database.TransactAsync(now, async tx =>
        {
            for (var i = 0; i < count; i++)
            {
                var id = Guid.NewGuid().ToString();
                await using var insert = tx.Command(SessionRows.InsertSql);
                SessionRows.Bind(insert, new SessionRecord
                {
                    Id = id, TaskId = "history-" + i, AgentId = "agent", Runtime = "claude", State = SessionState.Closed, Epoch = 1,
                    ServerSessionId = id, PrivateKey = privateKey, PublicKey = publicKey, ProviderSessionId = Guid.NewGuid().ToString(),
                    CreatedAt = now.AddDays(-3), UpdatedAt = now.AddDays(-2), ClosedAt = now.AddDays(-2), TaskPrompt = "old",
                });
                await insert.ExecuteNonQueryAsync();
            }

            return true;
        }, CancellationToken.None);
        SqliteConnection.ClearAllPools();
    }

    private static long TimestampAt(DateTimeOffset instant) =>
        Stopwatch.GetTimestamp() + (long)((instant - TimeProvider.System.GetUtcNow()).TotalSeconds * Stopwatch.Frequency);

    private static async Task<long> WaitForAsync(ConcurrentDictionary<string, long> started, string taskId, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!started.TryGetValue(taskId, out _))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"no agent started for task {taskId}");
            }

            await Task.Delay(2);
        }

        return started[taskId];
    }

    private static void Report(string what, List<double> samplesMs, int p1, int p2)
    {
        samplesMs.Sort();
        double P(int p) => samplesMs[Math.Clamp((int)Math.Ceiling(p / 100.0 * samplesMs.Count) - 1, 0, samplesMs.Count - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: p{p1} {P(p1):F1} ms, p{p2} {P(p2):F1} ms, min {samplesMs[0]:F1} ms, max {samplesMs[^1]:F1} ms (n={samplesMs.Count})"));
    }

    /// <summary>A server, a user with an ops board and a worker, a state dir, and the agent script.</summary>
    private sealed class Bench : IAsyncDisposable
    {
        private readonly BenchServer _server;
        private readonly string _root;

        private Bench(BenchServer server, string root, string userToken, string boardId, string agentId)
        {
            _server = server;
            _root = root;
            UserToken = userToken;
            BoardId = boardId;
            AgentId = agentId;
        }

        public string UserToken { get; }
        public string BoardId { get; }
        public string AgentId { get; }
        public string StateDir => Path.Combine(_root, "state");
        public string Agent => Path.Combine(_root, "claude");

        public static async Task<Bench> StartAsync(string agentScript, TimeSpan? leaseTtl = null)
        {
            var server = await BenchServer.StartAsync("sqlite", BenchServer.DefaultPostgres, leaseTtl: leaseTtl);
            var root = Path.Combine(Path.GetTempPath(), "ak-bench-daemon-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(root);
            var script = Path.Combine(root, "claude");
            await File.WriteAllTextAsync(script, "#!/bin/sh\n" + agentScript + "\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var user = await server.SendAsync(HttpMethod.Post, "api/users", server.AdminToken, new CreateUserRequest("bench-" + Guid.NewGuid().ToString("N")[..8]),
                ContractsJsonContext.Default.UserWithTokenDto, HttpStatusCode.Created);
            var board = await server.SendAsync(HttpMethod.Post, "api/boards", user.Token, new CreateBoardRequest("bench", "ops"),
                ContractsJsonContext.Default.BoardDto, HttpStatusCode.Created);
            var agent = await server.SendAsync(HttpMethod.Post, "api/agents", user.Token, new CreateAgentRequest { Username = "bench-worker", Runtime = "claude" },
                ContractsJsonContext.Default.AgentDto, HttpStatusCode.Created);
            return new Bench(server, root, user.Token, board.Id, agent.Id);
        }

        public Task<TaskDto> CreateTaskAsync(string title) =>
            _server.SendAsync(HttpMethod.Post, "api/tasks", UserToken, new CreateTaskRequest { BoardId = BoardId, Title = title, AssignedTo = AgentId },
                ContractsJsonContext.Default.TaskDto, HttpStatusCode.Created);

        public Task<TaskDto> GetTaskAsync(string id) =>
            _server.SendAsync(HttpMethod.Get, $"api/tasks/{id}", UserToken, null, ContractsJsonContext.Default.TaskDto, HttpStatusCode.OK);

        public DaemonOptions Options(ConcurrentDictionary<string, long> started, bool onlyResumes = false, Dictionary<string, string>? extraEnvironment = null)
        {
            var env = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["PATH"] = Environment.GetEnvironmentVariable("PATH"),
                ["HOME"] = _root,
                ["XDG_CONFIG_HOME"] = _root,
                ["BENCH_QUICK_AGENT"] = QuickAgent,
            };
            foreach (var (name, value) in extraEnvironment ?? [])
            {
                env[name] = value;
            }

            return new DaemonOptions
            {
                StateDir = StateDir,
                Server = _server.BaseUrl,
                Token = UserToken,
                Environment = env,
                RuntimeExecutables = new Dictionary<string, string> { ["claude"] = Agent },
                AkDirectory = AppContext.BaseDirectory,
                HandleSignals = false,
                LogToConsole = false,
                Sandbox = SandboxOn,
                MaxConcurrentPerRuntime = Caps ?? new DaemonOptions().MaxConcurrentPerRuntime,
                MaxConcurrent = Caps ?? new DaemonOptions().MaxConcurrent,
                StallTimeout = TimeSpan.Zero,
                OnAgentStarted = (_, taskId, _, resumed) =>
                {
                    if (!onlyResumes || resumed)
                    {
                        started.TryAdd(taskId, Stopwatch.GetTimestamp());
                    }
                },
            };
        }

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}
