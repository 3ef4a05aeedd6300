using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Benchmarks.Daemon;

/// <summary>
/// Daemon restart, every part its own process: a real board server (<c>ak server</c>), a real <c>ak daemon run</c> that
/// is killed with SIGKILL, and a new <c>ak daemon run</c> on the same state directory. A benchmark, not a test:
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --daemon restart --ak OUT/ak [--sessions 30]
/// [--history 970] [--rounds 2] [--caps default|raised|both] [--raised-cap 1000] [--timeout 400]</c>.
/// <para>Each round, on a fresh server and state directory:</para>
/// <list type="number">
/// <item>setup (not timed): N tasks are assigned to a worker; a first daemon (caps raised to N for this phase only, so
/// that all N get a session before the limit) runs an agent for each; each agent claims its task (<c>ak task claim</c>)
/// and then reports a rejected rate limit with a reset a few seconds ahead. Once the daemon's store holds N rate-limited
/// sessions, that daemon is killed with SIGKILL; M closed sessions are added to its store as history;</item>
/// <item>after the reset has passed, a new <c>ak daemon run</c> process starts (default caps: 3 per runtime, 6 in all;
/// or, clearly labelled, raised caps). Each resumed agent asks for review (<c>ak task review</c>) and exits, so the
/// daemon's slots free up and it can resume the next waiting session.</item>
/// </list>
/// Measured from the moment before the new process is spawned: its ready file written; the first and the last (N-th)
/// resumed agent started (time stamps the agent itself writes); all N tasks in review as the server's API reports them
/// (polled every 100 ms); the time the cap's slots were all filled, and for each later resume how long after the
/// latest agent end (a slot freed) it started; and the most agents seen running at once (from the agents' start/end
/// stamps) to show the caps held. Loopback only; every phase has a deadline; all processes are killed at the end of each round.
/// </summary>
public static class DaemonRestartHarness
{
    public static bool Handles(string[] args) => args is ["--daemon", "restart", ..];

    /// <summary>
    /// The agent (a shell script registered as the <c>claude</c> runtime): its first run claims the task, waits for
    /// BENCH_LIMIT_AT and reports a rejected rate limit resetting at BENCH_RESET_AT; a resumed run asks for review and
    /// ends with a successful result. Every step is stamped (ns, CLOCK_REALTIME) into BENCH_LOG.
    /// </summary>
    private const string AgentScript = """
        #!/bin/sh
        sid=""; prev=""; resume=0
        for a in "$@"; do
          [ "$prev" = "--session-id" ] && sid="$a"
          [ "$prev" = "--resume" ] && { sid="$a"; resume=1; }
          prev="$a"
        done
        echo "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$sid\"}"
        if [ "$resume" = 1 ]; then
          echo "$(date +%s%N) start $AK_TASK_ID" >> "$BENCH_LOG"
          ak task review >/dev/null 2>>"$BENCH_LOG.err" || echo "$(date +%s%N) review-failed $AK_TASK_ID" >> "$BENCH_LOG"
          echo "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":1,\"result\":\"done\",\"session_id\":\"$sid\"}"
          echo "$(date +%s%N) end $AK_TASK_ID" >> "$BENCH_LOG"
          exit 0
        fi
        ak task claim >/dev/null 2>>"$BENCH_LOG.err" || echo "$(date +%s%N) claim-failed $AK_TASK_ID" >> "$BENCH_LOG"
        echo "$(date +%s%N) claimed $AK_TASK_ID" >> "$BENCH_LOG"
        wait=$((BENCH_LIMIT_AT - $(date +%s)))
        [ "$wait" -gt 0 ] && sleep "$wait"
        echo "{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"rejected\",\"resetsAt\":$BENCH_RESET_AT,\"rateLimitType\":\"five_hour\"},\"session_id\":\"$sid\"}"
        echo "{\"type\":\"result\",\"subtype\":\"error_during_execution\",\"is_error\":true,\"session_id\":\"$sid\"}"
        exit 1
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var sessions = 30;
        var history = 970;
        var rounds = 2;
        var caps = "both";
        var raisedCap = 1000;
        var timeout = TimeSpan.FromSeconds(400);
        string? akOverride = null;
        for (var i = 2; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--sessions" or "--count": sessions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--history": history = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                case "--caps": caps = args[++i]; break;
                case "--raised-cap": raisedCap = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--timeout": timeout = TimeSpan.FromSeconds(int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                case "--ak": akOverride = Path.GetFullPath(args[++i]); break;
            }
        }

        var ak = akOverride ?? Path.Combine(AppContext.BaseDirectory, "ak");
        if (!File.Exists(ak))
        {
            throw new FileNotFoundException($"no ak executable at {ak}; pass --ak OUT/ak (dotnet publish src/AgentKanban.Cli -c Release -o OUT)");
        }

        int?[] configurations = caps switch
        {
            "default" => [null],
            "raised" => [raisedCap],
            "both" => [null, raisedCap],
            _ => throw new ArgumentException($"--caps takes default, raised or both, not '{caps}'"),
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"daemon restart: {ak}{(akOverride is null ? " (the JIT build next to the benchmark; pass --ak for the published one)" : "")}; "
            + $"{sessions} rate-limited sessions due + {history} closed in the store; {rounds} round(s) per configuration, interleaved; "
            + $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));

        var results = configurations.ToDictionary(c => Label(c), _ => new List<RoundResult>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var cap in configurations)
            {
                var result = await RoundAsync(ak, sessions, history, cap, timeout);
                results[Label(cap)].Add(result);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{Label(cap)}, round {round}/{rounds}] {result} (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
            }
        }

        foreach (var (label, list) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{label}] median of {list.Count}: ready {Median(list, r => r.ReadyMs):F0} ms, first resumed {Median(list, r => r.FirstResumeMs):F0} ms, "
                + $"{list[0].Slots} slots filled {Median(list, r => r.SlotsFilledMs):F0} ms, slot freed -> next resume {Median(list, r => r.SlotGapMs ?? double.NaN):F0} ms, "
                + $"all {sessions} resumed {Median(list, r => r.AllResumedMs):F0} ms, all {sessions} in review (server API) {Median(list, r => r.AllInReviewMs):F0} ms; "
                + $"each round (all in review): {string.Join(", ", list.Select(r => r.AllInReviewMs.ToString("F0", CultureInfo.InvariantCulture)))}"));
        }

        return 0;
    }

    private static string Label(int? cap) => cap is null ? "default caps (3 per runtime, 6 in all)" : $"RAISED caps ({cap} per runtime and in all)";

    private static double Median(List<RoundResult> list, Func<RoundResult, double> pick)
    {
        var sorted = list.Select(pick).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record RoundResult(
        double ReadyMs, double FirstResumeMs, double SlotsFilledMs, int Slots, double? SlotGapMs, double AllResumedMs, double AllInReviewMs, int MostAtOnce, int Failures)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"from spawn: ready file {ReadyMs:F0} ms, first agent resumed {FirstResumeMs:F0} ms, {Slots} slots filled {SlotsFilledMs:F0} ms, all resumed {AllResumedMs:F0} ms, "
            + $"all in review (server API) {AllInReviewMs:F0} ms; slot freed -> next resume: median {(SlotGapMs is { } gap ? gap.ToString("F0", CultureInfo.InvariantCulture) + " ms" : "-")}; "
            + $"most agents at once {MostAtOnce}; failed ak calls {Failures}");
    }

    private static async Task<RoundResult> RoundAsync(string ak, int count, int history, int? cap, TimeSpan timeout)
    {
        var root = Path.Combine(Path.GetTempPath(), "ak-bench-restart-" + Guid.NewGuid().ToString("N")[..10]);
        var state = Path.Combine(root, "state");
        var agentLog = Path.Combine(root, "agents.log");
        Directory.CreateDirectory(root);
        var script = Path.Combine(root, "claude");
        await File.WriteAllTextAsync(script, AgentScript.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var processes = new List<Process>();
        try
        {
            var url = $"http://127.0.0.1:{FreePort()}";
            var baseEnv = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["HOME"] = root,
                ["XDG_CONFIG_HOME"] = Path.Combine(root, "config"),
                ["XDG_DATA_HOME"] = Path.Combine(root, "data-home"),
                ["XDG_STATE_HOME"] = Path.Combine(root, "state-home"),
                ["PATH"] = "/usr/bin:/bin",
            };
            var server = Spawn(ak, baseEnv, Path.Combine(root, "server.log"), "server", "--data", Path.Combine(root, "data"), "--urls", url);
            processes.Add(server);
            using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(30) };
            var adminToken = await WaitForServerAsync(http, Path.Combine(root, "data", "admin-token"), server, TimeSpan.FromSeconds(60));
            var user = await SendAsync(http, HttpMethod.Post, "api/users", adminToken, new CreateUserRequest("restart-bench"), ContractsJsonContext.Default.UserWithTokenDto, HttpStatusCode.Created);
            var board = await SendAsync(http, HttpMethod.Post, "api/boards", user.Token, new CreateBoardRequest("bench", "ops"), ContractsJsonContext.Default.BoardDto, HttpStatusCode.Created);
            var agent = await SendAsync(http, HttpMethod.Post, "api/agents", user.Token, new CreateAgentRequest { Username = "bench-worker", Runtime = "claude" },
                ContractsJsonContext.Default.AgentDto, HttpStatusCode.Created);
            for (var i = 0; i < count; i++)
            {
                await SendAsync(http, HttpMethod.Post, "api/tasks", user.Token, new CreateTaskRequest { BoardId = board.Id, Title = $"restart {i}", AssignedTo = agent.Id },
                    ContractsJsonContext.Default.TaskDto, HttpStatusCode.Created);
            }

            // Setup: every task's agent claims it, then all hit the limit together; the store then holds N rate-limited sessions.
            var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
            var limitAt = now + 8 + (count / 3);
            var resetAt = limitAt + 4;
            var daemonEnv = new Dictionary<string, string>(baseEnv, StringComparer.Ordinal)
            {
                ["AK_SERVER"] = url,
                ["AK_TOKEN"] = user.Token,
                ["AK_RUNTIME_CLAUDE"] = script,
                ["BENCH_LOG"] = agentLog,
                ["BENCH_LIMIT_AT"] = limitAt.ToString(CultureInfo.InvariantCulture),
                ["BENCH_RESET_AT"] = resetAt.ToString(CultureInfo.InvariantCulture),
            };
            var setupCap = count.ToString(CultureInfo.InvariantCulture);
            var first = Spawn(ak, daemonEnv, Path.Combine(root, "daemon-1.log"), "daemon", "run", "--state", state,
                "--max-agents", setupCap, "--max-agents-per-runtime", setupCap);
            processes.Add(first);
            var deadline = Stopwatch.StartNew();
            var rateLimited = SessionState.RateLimited.ToName();
            while (true)
            {
                var snapshot = await StoreSnapshot.ReadAsync(Path.Combine(state, "daemon.db"), TimeProvider.System.GetUtcNow(), CancellationToken.None);
                if (snapshot is not null && snapshot.OpenSessionsByState.GetValueOrDefault(rateLimited) >= count)
                {
                    break;
                }

                if (first.HasExited || deadline.Elapsed > timeout)
                {
                    throw new InvalidOperationException($"setup: the first daemon did not bring {count} sessions into the rate limit "
                        + $"(store: {(snapshot is null ? "none" : string.Join(", ", snapshot.OpenSessionsByState))}); see {root}");
                }

                await Task.Delay(250);
            }

            first.Kill(); // SIGKILL
            await first.WaitForExitAsync();
            var tasks = await SendAsync(http, HttpMethod.Get, $"api/tasks?board_id={board.Id}&status={AgentKanban.Core.Tasks.TaskStatusNames.InProgress}", user.Token, null, ContractsJsonContext.Default.ListTaskDto, HttpStatusCode.OK);
            if (tasks.Count != count)
            {
                throw new InvalidOperationException($"setup: {tasks.Count} of {count} tasks in progress after the first daemon (claims failed?); see {root}");
            }

            await DaemonHarness.AddHistoryAsync(state, history);
            var wait = DateTimeOffset.FromUnixTimeSeconds(resetAt) - TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(1);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            // Measured: a new process on the same state directory, with the default caps unless told otherwise.
            string[] capArguments = cap is { } raised
                ? ["--max-agents", raised.ToString(CultureInfo.InvariantCulture), "--max-agents-per-runtime", raised.ToString(CultureInfo.InvariantCulture)]
                : [];

            var spawnedAt = TimeProvider.System.GetUtcNow();
            var clock = Stopwatch.StartNew();
            var second = Spawn(ak, daemonEnv, Path.Combine(root, "daemon-2.log"), ["daemon", "run", "--state", state, .. capArguments]);
            processes.Add(second);
            double? ready = null;
            double? allInReview = null;
            var nextPoll = TimeSpan.Zero;
            while (allInReview is null || ready is null)
            {
                if (second.HasExited || clock.Elapsed > timeout)
                {
                    throw new InvalidOperationException($"restart: not done after {clock.Elapsed.TotalSeconds:F0} s "
                        + $"(ready {ready?.ToString(CultureInfo.InvariantCulture) ?? "no"}, exited {second.HasExited}); see {root}");
                }

                ready ??= ReadyPid(Path.Combine(state, "daemon.json")) == second.Id ? clock.Elapsed.TotalMilliseconds : null;
                if (allInReview is null && clock.Elapsed >= nextPoll)
                {
                    nextPoll = clock.Elapsed + TimeSpan.FromMilliseconds(100);
                    var inReview = await SendAsync(http, HttpMethod.Get, $"api/tasks?board_id={board.Id}&status={AgentKanban.Core.Tasks.TaskStatusNames.InReview}", user.Token, null,
                        ContractsJsonContext.Default.ListTaskDto, HttpStatusCode.OK);
                    allInReview = inReview.Count >= count ? clock.Elapsed.TotalMilliseconds : null;
                }

                await Task.Delay(10);
            }

            var stamps = ReadStamps(agentLog);
            var starts = stamps.Where(s => s.Kind == "start").Select(s => (s.At - spawnedAt).TotalMilliseconds).Order().ToList();
            if (starts.Count < count)
            {
                throw new InvalidOperationException($"restart: {starts.Count} of {count} agents resumed, yet all tasks are in review; see {root}");
            }

            var failures = stamps.Count(s => s.Kind.EndsWith("-failed", StringComparison.Ordinal));

            // Under a cap of C (3 per runtime by default; every agent here is claude) the first C resumes fill the slots;
            // each later one waits for a slot: how long after the latest agent end before it did it start?
            var slots = Math.Min(count, cap ?? new AgentKanban.Daemon.DaemonOptions().MaxConcurrentPerRuntime);
            var ends = stamps.Where(s => s.Kind == "end").Select(s => (s.At - spawnedAt).TotalMilliseconds).Order().ToList();
            var gaps = starts.Skip(slots).Select(start => start - ends.LastOrDefault(end => end <= start, double.NaN)).Where(g => !double.IsNaN(g)).Order().ToList();
            return new RoundResult(ready.Value, starts[0], starts[slots - 1], slots, gaps.Count == 0 ? null : gaps[gaps.Count / 2],
                starts[count - 1], allInReview.Value, MostAtOnce(stamps), failures);
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill();
                        await process.WaitForExitAsync();
                    }
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                process.Dispose();
            }

            if (Environment.GetEnvironmentVariable("AK_BENCH_KEEP") is not { Length: > 0 })
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort.
                }
            }
        }
    }

    private sealed record Stamp(DateTimeOffset At, string Kind, string TaskId);

    private static List<Stamp> ReadStamps(string path) =>
        !File.Exists(path)
            ? []
            : File.ReadAllLines(path).Select(line => line.Split(' ')).Where(p => p.Length >= 3 && long.TryParse(p[0], CultureInfo.InvariantCulture, out _))
                .Select(p => new Stamp(DateTimeOffset.UnixEpoch.AddTicks(long.Parse(p[0], CultureInfo.InvariantCulture) / 100), p[1], p[2])).ToList();

    /// <summary>The most resumed agents between their start and end stamps at one time.</summary>
    private static int MostAtOnce(List<Stamp> stamps)
    {
        var most = 0;
        var now = 0;
        foreach (var stamp in stamps.Where(s => s.Kind is "start" or "end").OrderBy(s => s.At).ThenBy(s => s.Kind == "start" ? 1 : 0))
        {
            now += stamp.Kind == "start" ? 1 : -1;
            most = Math.Max(most, now);
        }

        return most;
    }

    private static int? ReadyPid(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            return json.RootElement.GetProperty("pid").GetInt32();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Starts <c>ak ARGS</c> with exactly <paramref name="env"/> (plus nothing inherited), its output to <paramref name="log"/>.</summary>
    private static Process Spawn(string ak, Dictionary<string, string> env, string log, params string[] args)
    {
        // sh exec: the pid is ak's own, and its output goes straight to the file (nothing to drain here).
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" >\"$AK_BENCH_OUTPUT\" 2>&1");
        start.ArgumentList.Add(ak);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        start.Environment["AK_BENCH_OUTPUT"] = log;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start ak");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> WaitForServerAsync(HttpClient http, string tokenFile, Process server, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !server.HasExited)
        {
            try
            {
                using var response = await http.GetAsync("healthz");
                if (response.IsSuccessStatusCode && File.Exists(tokenFile) && (await File.ReadAllTextAsync(tokenFile)).Trim() is { Length: > 0 } token)
                {
                    return token;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("the server did not start (see its log in the round's folder; AK_BENCH_KEEP=1 keeps it)");
    }

    private static async Task<T> SendAsync<T>(HttpClient http, HttpMethod method, string url, string token, object? body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> answer, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, body.GetType(), ContractsJsonContext.Default), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.StatusCode == expected
            ? JsonSerializer.Deserialize(text, answer)!
            : throw new InvalidOperationException($"{method} {url} answered {(int)response.StatusCode}: {text}");
    }
}
