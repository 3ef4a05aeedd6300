using System.Runtime.CompilerServices;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Process;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;

namespace AgentKanban.Agents.Runtimes;

/// <summary>
/// What a runtime adds to a <see cref="LineAgentProcess"/> beyond its parser. Both optional.
/// </summary>
public sealed record LineAgentHooks
{
    /// <summary>
    /// Live input: the bytes that hand a person's message to the running CLI (one line on its stdin). Null: the runtime
    /// takes no input mid-run and messages wait for the next launch.
    /// </summary>
    public Func<AgentInputMessage, ReadOnlyMemory<byte>>? EncodeInput { get; init; }

    /// <summary>
    /// Called once when the output has ended (the process exited): events that can only be known then, such as a reset
    /// time the CLI wrote to its own files rather than to its output. Appended after every parsed event.
    /// </summary>
    public Func<List<AgentEvent>, CancellationToken, ValueTask>? OutputEnded { get; init; }
}

/// <summary>
/// The usual shape of an agent run: one process whose stdout carries one JSON event per line, read through the runtime's
/// <see cref="IAgentOutputParser"/>. Lines the reader had to drop (too long, not UTF-8) and lines the parser could not use
/// are reported as skipped and never stop the run.
/// </summary>
public sealed class LineAgentProcess(AgentProcess process, IAgentHost host, string workingDirectory, IAgentOutputParser parser, LineAgentHooks? hooks = null)
    : IAgentProcess
{
    private readonly LineAgentHooks _hooks = hooks ?? new LineAgentHooks();

    public int ProcessId => process.ProcessId;

    public Task<bool> TrySendAsync(AgentInputMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _hooks.EncodeInput is { } encode && process.InputOpen
            ? process.WriteInputAsync(encode(message), cancellationToken)
            : Task.FromResult(false);
    }

    public void EndInput() => process.CloseInput();

    public async IAsyncEnumerable<AgentOutput> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = new List<AgentEvent>(4);
        await foreach (var line in process.Output.ReadAllAsync(cancellationToken))
        {
            switch (line.Kind)
            {
                case OutputLineKind.TooLong:
                    yield return AgentOutput.Skipped($"line {line.Number} of {line.Length} bytes is longer than the limit");
                    continue;
                case OutputLineKind.InvalidUtf8:
                    yield return AgentOutput.Skipped($"line {line.Number} is not UTF-8 text (binary output)");
                    continue;
            }

            events.Clear();
            var result = parser.Parse(line.Bytes.Span, events);
            if (result.Outcome == LineOutcome.Skipped)
            {
                yield return AgentOutput.Skipped($"line {line.Number}: {result.Reason}{(result.Detail is null ? "" : " (" + result.Detail + ")")}");
                continue;
            }

            foreach (var agentEvent in events)
            {
                yield return AgentOutput.Of(agentEvent);
            }
        }

        if (_hooks.OutputEnded is { } ended)
        {
            events.Clear();
            await ended(events, cancellationToken);
            foreach (var agentEvent in events)
            {
                yield return AgentOutput.Of(agentEvent);
            }
        }
    }

    public async Task<AgentExit> WaitForExitAsync(CancellationToken cancellationToken)
    {
        var exit = host.AgentExit(await process.Exited.WaitAsync(cancellationToken));
        return ToAgentExit(exit, process.StandardErrorTail);
    }

    /// <summary>A process exit as the daemon classifies runs.</summary>
    public static AgentExit ToAgentExit(ProcessExit exit, string? errorTail)
    {
        ArgumentNullException.ThrowIfNull(exit);
        return exit switch
        {
            { ExitCode: 0 } => new AgentExit(RunExit.Clean, 0, null, errorTail),
            { ExitCode: { } code } => new AgentExit(RunExit.ExitCode, code, null, errorTail),
            { Signal: { } signal } => new AgentExit(RunExit.Signal, null, signal, errorTail),
            _ => new AgentExit(RunExit.Signal, null, null, errorTail),
        };
    }

    public Task StopAsync(TimeSpan grace, CancellationToken cancellationToken) => process.StopAsync(grace, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync();
        host.Release(workingDirectory);
    }
}
