namespace AgentKanban.Cli.Commands;

/// <summary>
/// A fully parsed command, ready to run: the pure result of parsing (tests compare these records), and the
/// only thing that touches the network, files or the clock.
/// </summary>
public interface ICliRun
{
    /// <summary>Runs the command; returns the process exit code (0 ok, 1 failure, 2 usage).</summary>
    Task<int> RunAsync(CliContext context, CancellationToken cancellationToken);
}
