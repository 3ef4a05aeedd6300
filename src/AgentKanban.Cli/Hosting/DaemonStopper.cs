using AgentKanban.Daemon.Setup;

namespace AgentKanban.Cli.Hosting;

/// <summary>
/// <c>ak daemon stop</c>. The daemon stops in stages on SIGTERM (no new work; running agents stop after their current
/// step; their sessions resume on the next start). This waits for that, showing progress; after the timeout a
/// second SIGTERM makes the daemon stop its agents at once, and SIGKILL is the last resort. Exit 0 once no daemon
/// runs — including when none was running (stopping is idempotent, so scripts can call it unconditionally).
/// </summary>
internal static class DaemonStopper
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>After the second SIGTERM: the daemon's own grace for its agents (SIGTERM, 10 s, SIGKILL) plus margin.</summary>
    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);

    public static async Task<int> StopAsync(CliContext context, string? stateDir, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var paths = StatePaths.Resolve(stateDir, context.Env);
        var instance = await DaemonInstance.FindAsync(paths, cancellationToken);
        if (instance.Pid is not { } pid)
        {
            if (instance.StalePid is { } stale && instance.RemoveLeftovers())
            {
                await context.Out.WriteLineAsync($"the daemon is not running (removed a stale pid file naming pid {stale}, which holds no daemon lock)");
            }
            else
            {
                await context.Out.WriteLineAsync($"the daemon is not running (state dir {paths.Root})");
            }

            return CliApp.Success;
        }

        if (pid <= 0)
        {
            throw new CliFailureException($"a daemon holds the lock on {paths.LockFile}, but its pid is unknown");
        }

        // Pin the process down by its start time: once it has exited, its pid may be handed to another program.
        var startTicks = UnixProcess.StartTicks(pid);
        await context.Error.WriteLineAsync($"stopping the daemon (pid {pid}): no new work; running agents stop after their current step…");
        UnixProcess.Signal(pid, UnixProcess.SigTerm);
        if (await WaitAsync(context, pid, startTicks, timeout, "stopping", cancellationToken))
        {
            return await StoppedAsync(context, instance);
        }

        await context.Error.WriteLineAsync($"not stopped after {(int)timeout.TotalSeconds} s: asking again (running agents are stopped now)");
        UnixProcess.Signal(pid, UnixProcess.SigTerm);
        if (await WaitAsync(context, pid, startTicks, AbortWait, "stopping agents", cancellationToken))
        {
            return await StoppedAsync(context, instance);
        }

        // The last resort. A daemon started by `ak daemon start` leads its own process group: take its helpers
        // (git) along. Agents run in sessions of their own and are found and stopped by the next start.
        await context.Error.WriteLineAsync("still running: killing it (SIGKILL); its sessions resume on the next start");
        var target = UnixProcess.GroupOf(pid) == pid ? -pid : pid;
        UnixProcess.Signal(target, UnixProcess.SigKill);
        if (await WaitAsync(context, pid, startTicks, KillWait, "killing", cancellationToken))
        {
            return await StoppedAsync(context, instance);
        }

        throw new CliFailureException($"the daemon (pid {pid}) survived SIGKILL (stuck in the kernel?)");
    }

    private static async Task<int> StoppedAsync(CliContext context, DaemonInstance instance)
    {
        // A clean stop removed them already; after SIGKILL they are left behind.
        instance.RemoveLeftovers();
        await context.Out.WriteLineAsync($"daemon stopped (pid {instance.Pid})");
        return CliApp.Success;
    }

    private static async Task<bool> WaitAsync(CliContext context, int pid, long? startTicks, TimeSpan limit, string doing, CancellationToken cancellationToken)
    {
        var start = context.Time.GetUtcNow();
        var nextProgress = start + ProgressInterval;
        while (!UnixProcess.Gone(pid, startTicks))
        {
            var now = context.Time.GetUtcNow();
            if (now - start >= limit)
            {
                return false;
            }

            if (now >= nextProgress)
            {
                await context.Error.WriteLineAsync($"  still {doing} ({(int)(now - start).TotalSeconds} s)…");
                nextProgress += ProgressInterval;
            }

            await Task.Delay(PollInterval, context.Time, cancellationToken);
        }

        return true;
    }
}
