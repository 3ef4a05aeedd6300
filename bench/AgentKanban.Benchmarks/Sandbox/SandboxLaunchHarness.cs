using System.Diagnostics;
using System.Globalization;
using AgentKanban.Agents.Process;
using AgentKanban.Agents.Process.Sandbox;

namespace AgentKanban.Benchmarks.Sandbox;

/// <summary>
/// What the agent sandbox adds to an agent's start: the product's own process runner (<c>AgentProcess</c>) starts a
/// child that prints one line and exits — plain, and wrapped by <c>NamespaceSandbox</c> the way the daemon wraps an
/// agent (a hidden state dir with the worktree, its git repository and a temp dir opened again). Measured from the call
/// to the first output line (the agent is running) and to its exit, alternating the two so load hits both alike.
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --sandbox [--runs 100] [--command PATH]</c>
/// (<c>--command</c>: the child, default <c>/bin/echo</c>; e.g. <c>node</c> for a node start like Claude Code's).
/// </summary>
public static class SandboxLaunchHarness
{
    public static bool Handles(string[] args) => args is ["--sandbox", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var runs = 100;
        var command = "/bin/echo";
        for (var i = 1; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--command": command = args[++i]; break;
            }
        }

        var root = Directory.CreateTempSubdirectory("ak-bench-sandbox-").FullName;
        try
        {
            var state = Directory.CreateDirectory(Path.Combine(root, "state")).FullName;
            var worktree = Directory.CreateDirectory(Path.Combine(state, "worktrees", "s-1")).FullName;
            var repository = Directory.CreateDirectory(Path.Combine(state, "repos", "r.git")).FullName;
            var temp = Directory.CreateDirectory(Path.Combine(state, "tmp", "s-1")).FullName;
            var spec = new SandboxSpec
            {
                Hidden = [state],
                Open = [new OpenPath(worktree, true), new OpenPath(repository, true), new OpenPath(temp, true)],
            };
            var plain = new AgentProcessOptions
            {
                Executable = command,
                Arguments = command.EndsWith("node", StringComparison.Ordinal) ? ["-e", "console.log('ready')"] : ["ready"],
                Environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" },
                WorkingDirectory = worktree,
            };
            var sandboxed = NamespaceSandbox.Wrap(plain, spec, "/usr/bin/unshare", SandboxUser.Current);

            var withoutFirst = new List<double>();
            var withoutExit = new List<double>();
            var withFirst = new List<double>();
            var withExit = new List<double>();
            for (var warm = 0; warm < 3; warm++)
            {
                await MeasureAsync(plain);
                await MeasureAsync(sandboxed);
            }

            for (var i = 0; i < runs; i++)
            {
                var (first, exit) = await MeasureAsync(plain);
                withoutFirst.Add(first);
                withoutExit.Add(exit);
                (first, exit) = await MeasureAsync(sandboxed);
                withFirst.Add(first);
                withExit.Add(exit);
            }

            Console.WriteLine($"agent start through AgentProcess, {runs} runs each, alternating; child: {command}; load {Load()}");
            Console.WriteLine("                     first line p50 / p95      exit p50 / p95");
            Console.WriteLine($"without sandbox      {P(withoutFirst, 50),7:0.0} / {P(withoutFirst, 95),5:0.0} ms    {P(withoutExit, 50),6:0.0} / {P(withoutExit, 95),5:0.0} ms");
            Console.WriteLine($"with sandbox         {P(withFirst, 50),7:0.0} / {P(withFirst, 95),5:0.0} ms    {P(withExit, 50),6:0.0} / {P(withExit, 95),5:0.0} ms");
            Console.WriteLine($"added by the sandbox {P(withFirst, 50) - P(withoutFirst, 50),7:0.0} ms at the median (first line)");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(double FirstLine, double Exit)> MeasureAsync(AgentProcessOptions options)
    {
        var clock = Stopwatch.StartNew();
        await using var process = AgentProcess.Start(options);
        double? first = null;
        await foreach (var line in process.Output.ReadAllAsync(CancellationToken.None))
        {
            first ??= clock.Elapsed.TotalMilliseconds;
        }

        var exit = await process.Exited;
        if (exit.ExitCode != 0 || first is null)
        {
            throw new InvalidOperationException($"{options.Executable} ended with {exit} before printing: {process.StandardErrorTail}");
        }

        return (first.Value, clock.Elapsed.TotalMilliseconds);
    }

    private static double P(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
