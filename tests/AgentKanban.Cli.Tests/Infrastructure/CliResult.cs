namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>What one <c>ak</c> invocation produced.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}
