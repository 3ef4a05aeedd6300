using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.Agents.Tests.Support;

/// <summary>Runs a runtime through the seam the daemon uses (<see cref="IAgentRuntime.Start"/>), without a sandbox.</summary>
public static class AgentRuns
{
    public static IAgentHost Host { get; } = new DirectAgentHost(TimeProvider.System, NullLogger.Instance);

    public static AgentLaunchSpec Spec(string runtime, string executable, string workingDirectory, string prompt, IReadOnlyDictionary<string, string> environment,
        string providerSessionId = "6f1c2a3e-0000-4000-8000-0000000000aa", string? resumeToken = null, string? permissionMode = null) =>
        new(runtime, executable, workingDirectory, prompt, providerSessionId, resumeToken, null, permissionMode, string.Empty,
            environment.ToDictionary(p => p.Key, p => (string?)p.Value));

    /// <summary>Everything the run reported, events and skipped lines apart, and how it exited.</summary>
    public static async Task<(List<AgentEvent> Events, List<string> Skipped, AgentExit Exit)> CollectAsync(IAgentProcess process, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(process);
        var events = new List<AgentEvent>();
        var skipped = new List<string>();
        await foreach (var output in process.ReadAsync(cancellationToken))
        {
            if (output.Event is { } e)
            {
                events.Add(e);
            }
            else if (output.SkippedLine is { } reason)
            {
                skipped.Add(reason);
            }
        }

        var exit = await process.WaitForExitAsync(cancellationToken).WaitAsync(Processes.Patience, cancellationToken);
        return (events, skipped, exit);
    }
}
