using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;

namespace AgentKanban.Agents.Runtimes;

/// <summary>What the agent's output stream produced: an event, or a line that had to be skipped.</summary>
public readonly record struct AgentOutput(AgentEvent? Event, string? SkippedLine)
{
    public static AgentOutput Of(AgentEvent e) => new(e, null);

    public static AgentOutput Skipped(string reason) => new(null, reason);
}

/// <summary>How the process ended.</summary>
public sealed record AgentExit(RunExit Kind, int? ExitCode, int? Signal, string? ErrorTail);

/// <summary>One message for a running agent: <paramref name="Id"/> is echoed back in <see cref="InputAccepted"/>.</summary>
public sealed record AgentInputMessage(string Id, string Text);

/// <summary>A running agent process in its own process group.</summary>
public interface IAgentProcess : IAsyncDisposable
{
    int ProcessId { get; }

    /// <summary>
    /// The output as events, until the stream ends (the process exited and the pipe closed) or the token fires. Events a
    /// runtime can only know after the output ended (a reset time read from the CLI's own files) come last, before the end.
    /// </summary>
    IAsyncEnumerable<AgentOutput> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Completes when the process has exited.</summary>
    Task<AgentExit> WaitForExitAsync(CancellationToken cancellationToken);

    /// <summary>SIGTERM to the process group, <paramref name="grace"/>, then SIGKILL of the group.</summary>
    Task StopAsync(TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>
    /// Live input: hands a person's message to the agent while it runs. True once it is written to the agent's input
    /// (the runtime then reports <see cref="InputAccepted"/> with <see cref="AgentInputMessage.Id"/> when the conversation
    /// has taken it); false when this runtime takes no input mid-run, or its input is already closed — the message then
    /// waits for the next launch.
    /// </summary>
    Task<bool> TrySendAsync(AgentInputMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// No more input: the agent ends once its current turn is done (for Claude Code with live input, closing stdin).
    /// A runtime without live input ends after its turn anyway.
    /// </summary>
    void EndInput();
}
