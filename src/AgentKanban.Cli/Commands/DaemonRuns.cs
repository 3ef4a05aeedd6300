using AgentKanban.Cli.Hosting;
using AgentKanban.Cli.Output;

namespace AgentKanban.Cli.Commands;

/// <param name="OwnEnvironment">Variables meant for the daemon process only (set by <c>ak daemon start</c>), not handed on to agents.</param>
public sealed record RunDaemon(string? StateDir, bool Detached = false, IReadOnlyList<string>? OwnEnvironment = null) : ICliRun
{
    // The daemon lives in its own launcher so other commands never load its assembly.
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonLauncher.RunAsync(context, StateDir, Detached, OwnEnvironment ?? [], cancellationToken);
}

public sealed record StartDaemon(string? StateDir, TimeSpan Wait) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonStarter.StartAsync(context, StateDir, Wait, cancellationToken);
}

public sealed record StopDaemon(string? StateDir, TimeSpan Timeout) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonStopper.StopAsync(context, StateDir, Timeout, cancellationToken);
}

public sealed record ShowDaemonStatus(string? StateDir, OutputFormat Output) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonStatusReport.ShowAsync(context, StateDir, Output, cancellationToken);
}

public sealed record ShowDaemonLogs(string? StateDir, int? Tail, bool Follow) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonLogReader.PrintAsync(context, StateDir, Tail, Follow, cancellationToken);
}
