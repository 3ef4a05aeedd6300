namespace AgentKanban.Cli.Commands;

/// <summary><c>ak --version</c>.</summary>
public sealed record VersionRun : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Out.WriteLine(CliVersion.Full);
        return Task.FromResult(0);
    }
}
