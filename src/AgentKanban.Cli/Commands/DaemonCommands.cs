using System.CommandLine;
using AgentKanban.Cli.Parsing;

namespace AgentKanban.Cli.Commands;

/// <summary>
/// <c>ak daemon …</c> — the machine daemon (run, start, stop, status, logs). Its subcommands are added here
/// when the daemon is built; until then the group exists so the command line keeps its final shape.
/// </summary>
public static class DaemonCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var daemon = new Command("daemon", "Run the machine daemon that picks up tasks and runs agents (not in this build yet).");
        var run = new Command("run", "Run the daemon in the foreground (not in this build yet).");
        var state = CommonOptions.Optional("--state", "State directory", "DIR");
        run.Add(state);
        parser.Bind(run, _ => new DaemonNotAvailable());
        daemon.Add(run);
        return daemon;
    }
}

public sealed record DaemonNotAvailable : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken) =>
        throw new CliFailureException("the machine daemon is not part of this build yet");
}
