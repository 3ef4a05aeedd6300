using System.CommandLine;
using AgentKanban.Cli.Hosting;
using AgentKanban.Cli.Parsing;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak daemon run</c> — the machine daemon that picks up assigned tasks and runs their agents.</summary>
public static class DaemonCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var daemon = new Command("daemon", "The machine daemon: picks up tasks assigned to this machine's agents and runs them.");
        var run = new Command(
            "run",
            "Run the daemon in the foreground. Authenticates with AK_SERVER/AK_TOKEN or the CLI config; a user token "
            + "registers this machine and the issued machine key is kept in the state directory (0600). "
            + "SIGTERM stops taking work and lets agents finish their current step; a second signal stops them.");
        var state = CommonOptions.Optional("--state", "State directory (default ${XDG_STATE_HOME:-~/.local/state}/agent-kanban)", "DIR");
        run.Add(state);
        parser.Bind(run, r => new RunDaemon(r.GetValue(state)));
        daemon.Add(run);
        return daemon;
    }
}

public sealed record RunDaemon(string? StateDir) : ICliRun
{
    // The daemon lives in its own launcher so other commands never load its assembly.
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        DaemonLauncher.RunAsync(context, StateDir, cancellationToken);
}
