using AgentKanban.Cli.Hosting;
using AgentKanban.Cli.Output;

namespace AgentKanban.Cli.Commands;

/// <param name="OwnEnvironment">Variables meant for the daemon process only (set by <c>ak daemon start</c>), not handed on to agents.</param>
public sealed record RunDaemon(string? StateDir, bool Detached = false, IReadOnlyList<string>? OwnEnvironment = null, SandboxChoice? Sandbox = null) : ICliRun
{
    // The daemon lives in its own launcher so other commands never load its assembly.
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonLauncher.RunAsync(context, StateDir, Detached, OwnEnvironment ?? [], Sandbox ?? SandboxChoice.Default, cancellationToken);
}

public sealed record StartDaemon(string? StateDir, TimeSpan Wait, SandboxChoice? Sandbox = null) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonStarter.StartAsync(context, StateDir, Wait, Sandbox ?? SandboxChoice.Default, cancellationToken);
}

/// <summary>How the operator wants agents sandboxed (<c>--no-sandbox</c>, <c>--sandbox-hide</c>, <c>--sandbox-open</c>).</summary>
public sealed record SandboxChoice(bool On, IReadOnlyList<string> Hide, IReadOnlyList<string> Open)
{
    public static SandboxChoice Default { get; } = new(true, [], []);

    /// <summary>The same choice as <c>ak daemon run</c> arguments (for the background daemon <c>ak daemon start</c> launches).</summary>
    public IReadOnlyList<string> AsArguments()
    {
        var arguments = new List<string>();
        if (!On)
        {
            arguments.Add("--no-sandbox");
        }

        foreach (var path in Hide)
        {
            arguments.AddRange(["--sandbox-hide", Path.GetFullPath(path)]);
        }

        foreach (var path in Open)
        {
            arguments.AddRange(["--sandbox-open", Path.GetFullPath(path)]);
        }

        return arguments;
    }
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
