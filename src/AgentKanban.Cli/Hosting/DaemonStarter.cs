using AgentKanban.Cli.Commands;
using AgentKanban.Agents.Process;
using AgentKanban.Daemon.Setup;

namespace AgentKanban.Cli.Hosting;

/// <summary>
/// <c>ak daemon start</c>: runs <c>ak daemon run</c> detached (its own session, stdin from /dev/null, stdout and
/// stderr appended to the daemon log) and waits until it is ready — its ready file names it and it holds the
/// instance lock — or until it exits, whichever comes first.
/// </summary>
internal static class DaemonStarter
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private const int LogLinesOnFailure = 20;

    public static async Task<int> StartAsync(CliContext context, string? stateDir, TimeSpan wait, SandboxChoice sandbox, AgentCaps caps, CancellationToken cancellationToken)
    {
        var paths = StatePaths.Resolve(stateDir, context.Env);
        paths.Ensure();
        var existing = await DaemonInstance.FindAsync(paths, cancellationToken);
        if (existing.Running)
        {
            throw new CliFailureException(
                $"a daemon already runs with the state dir {paths.Root} (pid {existing.Pid}); `ak daemon stop` stops it");
        }

        // Only this start's lines are shown if it fails: remember where the log ends now.
        var logOffset = File.Exists(paths.LogFile) ? new FileInfo(paths.LogFile).Length : 0;
        var environment = context.Env
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
        var ownKnobs = new List<string>();
        foreach (var (name, value) in DaemonRuntimeKnobs)
        {
            // A value the user chose wins, and is theirs to hand on to agents.
            if (environment.TryAdd(name, value))
            {
                ownKnobs.Add(name);
            }
        }

        var (executable, argv) = DaemonCommandLine(paths.Root, ownKnobs, [.. sandbox.AsArguments(), .. caps.AsArguments()]);
        // The working directory is "/": a daemon must not keep whatever directory it was started in busy.
        var pid = DetachedProcess.Start(executable, argv, environment, "/", paths.LogFile);
        await context.Error.WriteLineAsync($"starting the daemon (pid {pid}), waiting up to {(int)wait.TotalSeconds} s for it to be ready…");

        var deadline = context.Time.GetUtcNow() + wait;
        while (true)
        {
            if (DetachedProcess.TryGetExit(pid, out var exit))
            {
                await context.Error.WriteLineAsync($"error: the daemon exited during start-up ({exit}). Last lines of {paths.LogFile}:");
                foreach (var line in await DaemonLogReader.LastLinesAsync(paths.LogFile, logOffset, LogLinesOnFailure, cancellationToken))
                {
                    await context.Error.WriteLineAsync("  " + line);
                }

                return CliApp.Failure;
            }

            var instance = await DaemonInstance.FindAsync(paths, cancellationToken);
            if (instance.Pid == pid && instance.Ready is { } ready)
            {
                await context.Out.WriteLineAsync($"daemon started: pid {pid}, machine {ready.MachineId} on {ready.Server}");
                await context.Out.WriteLineAsync($"log: {paths.LogFile}");
                return CliApp.Success;
            }

            if (context.Time.GetUtcNow() >= deadline)
            {
                await context.Error.WriteLineAsync(
                    $"error: the daemon (pid {pid}) is not ready after {(int)wait.TotalSeconds} s; it keeps trying in the background "
                    + $"(a server it cannot reach yet?). See `ak daemon logs`; `ak daemon stop` stops it.");
                return CliApp.Failure;
            }

            await Task.Delay(PollInterval, context.Time, cancellationToken);
        }
    }

    /// <summary>
    /// Runtime settings for the daemon process only (<c>ak</c> is one executable, and the CLI must keep its fast start).
    /// Tiered compilation off: an idle daemon runs each code path only every 30–60 s, so with tiering the JIT keeps
    /// re-compiling paths as they slowly cross the tier-up threshold, for many minutes — measured (bench/README.md,
    /// <c>--daemon idle</c>) as most of its idle CPU (~0.5–1 %, half of it in the JIT) and a few MB of RSS. Compiled
    /// once, fully optimised, idle CPU drops to ~0.2 %; the price is a slower first start-up (not on the CLI's path).
    /// </summary>
    private static readonly (string Name, string Value)[] DaemonRuntimeKnobs = [("DOTNET_TieredCompilation", "0")];

    /// <summary>This same <c>ak</c> (its app host, or <c>dotnet ak.dll</c>) with <c>daemon run --state ROOT --detached</c>.</summary>
    private static (string Executable, List<string> Argv) DaemonCommandLine(string stateRoot, IReadOnlyList<string> ownKnobs, IReadOnlyList<string> choices)
    {
        var executable = Environment.ProcessPath ?? throw new CliFailureException("cannot tell which executable is running");
        var argv = new List<string> { executable };
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet")
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "ak.dll");
            argv.Add(File.Exists(dll) ? dll : throw new CliFailureException($"cannot find {dll} to run under dotnet"));
        }

        argv.AddRange(["daemon", "run", "--state", stateRoot, "--detached", .. choices]);
        foreach (var name in ownKnobs)
        {
            argv.AddRange(["--own-env", name]);
        }

        return (executable, argv);
    }
}
