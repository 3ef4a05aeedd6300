using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentKanban.Server.Storage;

namespace AgentKanban.Benchmarks.Server;

/// <summary>
/// End-to-end transitions throughput through the real HTTP API on loopback (a benchmark, not a test). Each task goes
/// claim (worker session JWT) → review (worker session JWT) → complete (user token): three compare-and-set transitions.
/// Run: <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --transitions [--engine sqlite|postgres|both]
/// [--tasks 3000] [--concurrency 32] [--pg "Host=…"] [--in-process] [--without-stream-feed]
/// [--sqlite-synchronous full|normal|both] [--rounds 1]</c>. Tasks, leases and sessions are prepared before the
/// clock starts. By default the server runs in a child process so its CPU time per transition is reported on its own.
/// <c>--sqlite-synchronous both</c> measures the SQLite store with the product's <c>synchronous=FULL</c> and with
/// <c>NORMAL</c> in the same run; <c>--rounds N</c> repeats every configuration N times, interleaved, and ends with
/// each configuration's median, so a burst of load from elsewhere on a shared machine does not decide the comparison.
/// </summary>
public static class TransitionsHarness
{
    /// <summary>True when <paramref name="args"/> select this harness (or its server child process).</summary>
    public static bool Handles(string[] args) => args is ["--transitions", ..] or [BenchServerProcess.ServeFlag, ..];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is [BenchServerProcess.ServeFlag, var mode, var synchronous, var dataDir, ..])
        {
            return await BenchServerProcess.ServeAsync(mode, synchronous, dataDir, args.Length > 4 ? args[4] : null);
        }

        var apart = true;
        var withoutStreamFeed = false;
        var engines = new[] { "sqlite", "postgres" };
        var tasks = 3000;
        var concurrency = 32;
        var postgres = BenchServer.DefaultPostgres;
        SqliteSynchronous[] synchronousLevels = [SqliteSynchronous.Full];
        var rounds = 1;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--engine" when i + 1 < args.Length:
                    engines = args[++i] == "both" ? engines : [args[i]];
                    break;
                case "--tasks" when i + 1 < args.Length:
                    tasks = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--concurrency" when i + 1 < args.Length:
                    concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--pg" when i + 1 < args.Length:
                    postgres = args[++i];
                    break;
                case "--in-process":
                    apart = false;
                    break;
                case "--without-stream-feed":
                    withoutStreamFeed = true;
                    break;
                case "--sqlite-synchronous" when i + 1 < args.Length:
                    synchronousLevels = args[++i] switch
                    {
                        "full" => [SqliteSynchronous.Full],
                        "normal" => [SqliteSynchronous.Normal],
                        "both" => [SqliteSynchronous.Full, SqliteSynchronous.Normal],
                        var other => throw new ArgumentException($"--sqlite-synchronous takes full, normal or both, not '{other}'"),
                    };
                    break;
                case "--rounds" when i + 1 < args.Length:
                    rounds = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture));
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown argument '{args[i]}'");
                    return 2;
            }
        }

        var configurations = engines
            .SelectMany(engine => engine == "sqlite" ? synchronousLevels.Select(level => (Engine: engine, Synchronous: level)) : [(engine, SqliteSynchronous.Full)])
            .ToList();
        var results = configurations.ToDictionary(c => c, _ => new List<double>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var configuration in configurations)
            {
                var label = configuration.Engine == "sqlite" ? $"sqlite synchronous={configuration.Synchronous.ToString().ToUpperInvariant()}" : configuration.Engine;
                label = rounds > 1 ? $"{label}, round {round}/{rounds}" : label;
                results[configuration].Add(await RunEngineAsync(configuration.Engine, configuration.Synchronous, label, tasks, concurrency, postgres, apart, withoutStreamFeed));
            }
        }

        if (rounds > 1)
        {
            foreach (var (configuration, perSecond) in results)
            {
                var label = configuration.Engine == "sqlite" ? $"sqlite synchronous={configuration.Synchronous.ToString().ToUpperInvariant()}" : configuration.Engine;
                Console.WriteLine(FormattableString.Invariant(
                    $"[{label}] median of {rounds} rounds: {Median(perSecond):F0} transitions/s (each: {string.Join(", ", perSecond.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))})"));
            }
        }

        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>One measured run on a fresh server; returns transitions per second.</summary>
    private static async Task<double> RunEngineAsync(
        string engine, SqliteSynchronous synchronous, string label, int taskCount, int concurrency, string postgres, bool apart, bool withoutStreamFeed)
    {
        await using var server = await BenchServer.StartAsync(engine, postgres, apart, withoutStreamFeed, synchronous);
        var tenant = await server.CreateTenantAsync();
        var prepared = new ConcurrentBag<PreparedTask>();
        var setup = Stopwatch.StartNew();
        await Parallel.ForAsync(0, taskCount, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, _) => prepared.Add(await server.PrepareTaskAsync(tenant)));
        Console.WriteLine($"[{label}] prepared {taskCount} tasks (create + lease + session) in {setup.Elapsed.TotalSeconds:F1} s");

        // Warm-up: JIT and connection pools, on a few tasks outside the measurement.
        var queue = new ConcurrentQueue<PreparedTask>(prepared);
        await DriveAsync(server, tenant, queue, Math.Min(200, taskCount / 10), concurrency, new ConcurrentBag<double>());

        var latencies = new ConcurrentBag<double>();
        var remaining = queue.Count;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var serverCpuBefore = server.ServerCpuTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var gen2Before = GC.CollectionCount(2);
        var gen0Before = GC.CollectionCount(0);
        _mostInFlight = 0;
        var clock = Stopwatch.StartNew();
        var failures = await DriveAsync(server, tenant, queue, remaining, concurrency, latencies);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var serverCpu = (server.ServerCpuTime - serverCpuBefore).TotalMilliseconds;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        var gcs = $"{GC.CollectionCount(0) - gen0Before} gen0 / {GC.CollectionCount(2) - gen2Before} gen2 GCs";
        var transitions = latencies.Count;
        var sorted = latencies.Order().ToArray();
        var perTransition = Math.Max(1, transitions);
        var cost = server.RunsApart
            ? FormattableString.Invariant(
                $"server CPU {serverCpu / perTransition:F3} ms per transition (~{Environment.ProcessorCount * 1000 / Math.Max(0.001, serverCpu / perTransition):F0}/s if the server had all {Environment.ProcessorCount} cores), load generator CPU {cpu / perTransition:F3} ms")
            : FormattableString.Invariant(
                $"CPU {cpu / perTransition:F3} ms per transition (server and load generator together, {Environment.ProcessorCount} cores), {allocated / perTransition / 1024.0:F1} KiB allocated per transition, {gcs}");
        Console.WriteLine(FormattableString.Invariant(
            $"[{label}] {transitions} transitions ({remaining} tasks x claim+review+complete) in {elapsed:F2} s with {concurrency} clients (at most {_mostInFlight} requests in flight at once): {transitions / elapsed:F0} transitions/s; latency p50 {Percentile(sorted, 0.50):F2} ms, p99 {Percentile(sorted, 0.99):F2} ms; {cost}; failures {failures}"));
        return transitions / elapsed;
    }

    private static int _inFlight;
    private static int _mostInFlight;

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private static async Task<int> DriveAsync(BenchServer server, Tenant tenant, ConcurrentQueue<PreparedTask> queue, int count, int concurrency, ConcurrentBag<double> latencies)
    {
        var failures = 0;
        var taken = 0;
        // As many workers at once as there are clients (without options Parallel.ForAsync would run only as many as there
        // are cores, whatever the client count says).
        await Parallel.ForAsync(0, concurrency, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, _) =>
        {
            while (Interlocked.Increment(ref taken) <= count && queue.TryDequeue(out var task))
            {
                var token = server.SignSessionToken(task);
                foreach (var (verb, bearer) in new[] { ("claim", token), ("review", token), ("complete", tenant.UserToken) })
                {
                    var started = Stopwatch.GetTimestamp();
                    var inFlight = Interlocked.Increment(ref _inFlight);
                    InterlockedMax(ref _mostInFlight, inFlight);
                    var ok = await server.TransitionAsync(task.TaskId, verb, bearer);
                    Interlocked.Decrement(ref _inFlight);
                    if (!ok)
                    {
                        Interlocked.Increment(ref failures);
                        break;
                    }

                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        });
        return failures;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
