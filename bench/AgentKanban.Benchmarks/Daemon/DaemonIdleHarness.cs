using System.Diagnostics;
using System.Globalization;
using System.Net;
using AgentKanban.Benchmarks.Server;
using AgentKanban.Contracts;

namespace AgentKanban.Benchmarks.Daemon;

/// <summary>
/// The idle daemon's footprint: a real server (its own process) and the real <c>ak daemon start</c> (the daemon as its
/// own process, exactly as users run it) with no work; after it settles, <c>/proc/PID/status</c> VmRSS and
/// <c>/proc/PID/stat</c> utime+stime are sampled once a second. Run with an empty store and with N closed sessions in
/// it (seeded the way the restart benchmark does). A benchmark, not a test:
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --daemon idle [--seconds 60] [--settle 20]
/// [--sessions 1000] [--env NAME=VALUE]… [--ak PATH]</c> (<c>--ak</c>: another <c>ak</c>, e.g. the native one
/// <c>dotnet publish</c> makes; by default the JIT build next to the benchmark) (<c>--env</c> sets a variable for the daemon process only, e.g. a
/// <c>DOTNET_</c> runtime knob to compare; <c>--env DOTNET_TieredCompilation=1</c> undoes the daemon's own setting).
/// </summary>
public static class DaemonIdleHarness
{
    /// <summary>USER_HZ: the unit of utime/stime in /proc, 100 on every Linux architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    public static bool Handles(string[] args) => args is ["--daemon", "idle", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var seconds = 60;
        var settle = 20;
        var sessions = 1000;
        string? akOverride = null;
        var extraEnv = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 2; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--settle": settle = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sessions": sessions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--ak": akOverride = Path.GetFullPath(args[++i]); break;
                case "--env":
                    var pair = args[++i].Split('=', 2);
                    extraEnv[pair[0]] = pair.Length > 1 ? pair[1] : "";
                    break;
            }
        }

        var ak = akOverride ?? Path.Combine(AppContext.BaseDirectory, "ak");
        if (!File.Exists(ak))
        {
            throw new FileNotFoundException($"the ak executable is not next to the benchmark ({ak})");
        }

        await using var server = await BenchServer.StartAsync("sqlite", BenchServer.DefaultPostgres, apart: true);
        var user = await server.SendAsync(HttpMethod.Post, "api/users", server.AdminToken, new CreateUserRequest("idle-" + Guid.NewGuid().ToString("N")[..8]),
            ContractsJsonContext.Default.UserWithTokenDto, HttpStatusCode.Created);
        var knobs = extraEnv.Count == 0 ? "as `ak daemon start` runs it" : string.Join(' ', extraEnv.Select(kv => $"{kv.Key}={kv.Value}"));
        Console.WriteLine($"idle daemon ({knobs}); settle {settle} s, then {seconds} samples 1 s apart");
        await MeasureAsync(ak, server.BaseUrl, user.Token, 0, settle, seconds, extraEnv);
        await MeasureAsync(ak, server.BaseUrl, user.Token, sessions, settle, seconds, extraEnv);
        return 0;
    }

    private static async Task MeasureAsync(string ak, string serverUrl, string token, int sessions, int settle, int seconds, Dictionary<string, string> extraEnv)
    {
        var root = Path.Combine(Path.GetTempPath(), "ak-bench-idle-" + Guid.NewGuid().ToString("N")[..10]);
        var state = Path.Combine(root, "state");
        Directory.CreateDirectory(root);
        try
        {
            if (sessions > 0)
            {
                await DaemonHarness.AddHistoryAsync(state, sessions);
            }

            var env = new Dictionary<string, string>(extraEnv, StringComparer.Ordinal)
            {
                ["AK_SERVER"] = serverUrl,
                ["AK_TOKEN"] = token,
                ["HOME"] = root,
                ["XDG_CONFIG_HOME"] = root,
                // No agent runtime on PATH: the daemon has nothing to run, only its heartbeat, event stream and poll.
                ["PATH"] = "/usr/bin:/bin",
            };
            await AkAsync(ak, env, "daemon", "start", "--state", state, "--wait", "120");
            var pid = int.Parse((await File.ReadAllTextAsync(Path.Combine(state, "daemon.pid"))).Trim(), CultureInfo.InvariantCulture);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(settle));
                var rss = new List<double>();
                var cpu0 = CpuTicks(pid);
                var t0 = Stopwatch.GetTimestamp();
                for (var i = 0; i < seconds; i++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    rss.Add(StatusKb(pid, "VmRSS") / 1024.0);
                }

                var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                var cpu = (CpuTicks(pid) - cpu0) / TicksPerSecond;
                rss.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {sessions,5} sessions in the store: RSS median {rss[rss.Count / 2]:F1} MB (min {rss[0]:F1}, max {rss[^1]:F1}, peak VmHWM {StatusKb(pid, "VmHWM") / 1024.0:F1}); "
                    + $"CPU {cpu:F2} s over {elapsed:F0} s = {100 * cpu / elapsed:F2} %; threads {StatusKb(pid, "Threads")}"));
            }
            finally
            {
                await AkAsync(ak, env, "daemon", "stop", "--state", state);
            }
        }
        finally
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

    private static async Task AkAsync(string ak, Dictionary<string, string> env, params string[] args)
    {
        var start = new ProcessStartInfo(ak) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "AK_SERVER", "AK_TOKEN", "AK_SESSION_ID", "AK_SESSION_KEY", "AK_TASK_ID" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start ak");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ak {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    /// <summary>utime + stime of the process (fields 14 and 15 of /proc/PID/stat), in clock ticks.</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
    }

    /// <summary>A numeric line of /proc/PID/status ("VmRSS:   61234 kB" → 61234).</summary>
    private static long StatusKb(int pid, string name)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"{name} not in /proc/{pid}/status");
    }
}
