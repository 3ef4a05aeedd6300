using AgentKanban.Cli.Hosting;
using AgentKanban.Cli.Output;

namespace AgentKanban.Cli.Commands;

/// <param name="OwnEnvironment">Variables meant for the daemon process only (set by <c>ak daemon start</c>), not handed on to agents.</param>
public sealed record RunDaemon(
    string? StateDir, bool Detached = false, IReadOnlyList<string>? OwnEnvironment = null, SandboxChoice? Sandbox = null, AgentCaps? Caps = null) : ICliRun
{
    // The daemon lives in its own launcher so other commands never load its assembly.
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonLauncher.RunAsync(context, StateDir, Detached, OwnEnvironment ?? [], Sandbox ?? SandboxChoice.Default, Caps ?? AgentCaps.Default,
            cancellationToken);
}

public sealed record StartDaemon(string? StateDir, TimeSpan Wait, SandboxChoice? Sandbox = null, AgentCaps? Caps = null) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonStarter.StartAsync(context, StateDir, Wait, Sandbox ?? SandboxChoice.Default, Caps ?? AgentCaps.Default, cancellationToken);
}

/// <summary>
/// How many agents may run at once (<c>--max-agents</c>, <c>--max-agents-per-runtime</c>) and how long a runtime pauses
/// when its provider refuses without a reset time (<c>--unknown-reset-pause</c>); null = the daemon's default.
/// </summary>
public sealed record AgentCaps(int? Total, int? PerRuntime, TimeSpan? UnknownResetPause = null)
{
    public static AgentCaps Default { get; } = new(null, null);

    /// <summary>The same caps as <c>ak daemon run</c> arguments.</summary>
    public IReadOnlyList<string> AsArguments()
    {
        var arguments = new List<string>();
        if (Total is { } total)
        {
            arguments.AddRange(["--max-agents", total.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (PerRuntime is { } perRuntime)
        {
            arguments.AddRange(["--max-agents-per-runtime", perRuntime.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (UnknownResetPause is { } pause)
        {
            arguments.AddRange(["--unknown-reset-pause", pause.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        return arguments;
    }
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
