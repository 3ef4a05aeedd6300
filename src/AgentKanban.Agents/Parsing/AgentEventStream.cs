using System.Runtime.CompilerServices;
using AgentKanban.Agents.Process;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Parsing;

/// <summary>A line the reader or the parser could not use, for the caller to log (never fatal).</summary>
public readonly record struct SkippedLine(long Number, long Length, LineParseResult Result);

/// <summary>Glue between a running agent process and its runtime's parser.</summary>
public static class AgentEventStream
{
    /// <summary>
    /// The process's events, in order, until its output ends. Lines dropped by the reader (too long, not UTF-8)
    /// and lines the parser skipped are reported to <paramref name="onSkipped"/> and otherwise ignored.
    /// </summary>
    public static async IAsyncEnumerable<AgentEvent> ReadEventsAsync(
        this AgentProcess process,
        IAgentOutputParser parser,
        Action<SkippedLine>? onSkipped = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(parser);
        var events = new List<AgentEvent>(16);
        await foreach (var line in process.Output.ReadAllAsync(cancellationToken))
        {
            LineParseResult result;
            events.Clear();
            switch (line.Kind)
            {
                case OutputLineKind.TooLong:
                    result = LineParseResult.Skip(LineReason.TooLong);
                    break;
                case OutputLineKind.InvalidUtf8:
                    result = LineParseResult.Skip(LineReason.InvalidUtf8);
                    break;
                default:
                    result = parser.Parse(line.Bytes.Span, events);
                    break;
            }

            if (result.Outcome == LineOutcome.Skipped)
            {
                onSkipped?.Invoke(new SkippedLine(line.Number, line.Length, result));
            }

            foreach (var agentEvent in events)
            {
                yield return agentEvent;
            }
        }
    }
}
