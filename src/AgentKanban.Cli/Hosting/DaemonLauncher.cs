using AgentKanban.Cli.Commands;
using AgentKanban.Daemon;

namespace AgentKanban.Cli.Hosting;

/// <summary>The only place the CLI touches the daemon (<c>ak daemon run</c>, and the daemon half of <c>ak up</c>).</summary>
internal static class DaemonLauncher
{
    /// <param name="detached">Started by <c>ak daemon start</c>: stdout and stderr are the log file already, so no console log.</param>
    /// <param name="ownEnvironment">Variables set for this process only (runtime knobs): removed from what agents inherit.</param>
    public static Task<int> RunAsync(
        CliContext context, string? stateDir, bool detached, IReadOnlyList<string> ownEnvironment, SandboxChoice sandbox, AgentCaps caps,
        CancellationToken cancellationToken)
    {
        var environment = context.Env;
        if (ownEnvironment.Count > 0)
        {
            environment = context.Env.Where(kv => !ownEnvironment.Contains(kv.Key, StringComparer.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        }

        return DaemonHost.RunAsync(new DaemonOptions
        {
            StateDir = stateDir,
            Environment = environment,
            LogToConsole = !detached,
            Sandbox = sandbox.On,
            SandboxHide = sandbox.Hide,
            SandboxOpen = sandbox.Open,
            MaxConcurrent = caps.Total ?? Defaults.MaxConcurrent,
            MaxConcurrentPerRuntime = caps.PerRuntime ?? Defaults.MaxConcurrentPerRuntime,
            RateLimits = caps.UnknownResetPause is { } pause ? Defaults.RateLimits with { UnknownResetWindow = pause } : Defaults.RateLimits,
        }, cancellationToken);
    }

    private static readonly DaemonOptions Defaults = new();

    /// <summary>
    /// Starts a daemon beside the server of <c>ak up</c>. Signals stay with the CLI (it stops the daemon through
    /// the handle); a daemon that cannot start is reported and the server keeps serving.
    /// </summary>
    /// <param name="serverDataDir">The board's own data (its database, the admin token): hidden from the agents.</param>
    public static async Task<IAsyncDisposable?> StartBesideServerAsync(
        CliContext context, string serverUrl, string token, string stateDir, string serverDataDir, SandboxChoice sandbox, CancellationToken cancellationToken)
    {
        try
        {
            var daemon = await DaemonHost.StartAsync(new DaemonOptions
            {
                Server = serverUrl,
                Token = token,
                StateDir = stateDir,
                Environment = context.Env,
                HandleSignals = false,
                Sandbox = sandbox.On,
                SandboxHide = [serverDataDir, .. sandbox.Hide],
                SandboxOpen = sandbox.Open,
            }, cancellationToken);
            return new StoppingHandle(daemon);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await context.Error.WriteLineAsync($"warning: the daemon did not start ({e.Message}); the server keeps running");
            return null;
        }
    }

    private sealed class StoppingHandle(RunningDaemon daemon) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            daemon.RequestStop();
            await daemon.DisposeAsync();
        }
    }
}
