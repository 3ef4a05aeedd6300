using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Parsing;

/// <summary>
/// Turns a runtime's output, one line at a time, into <see cref="AgentEvent"/>s. One instance per agent
/// process run: parsers keep per-turn state. Never throws for bad input; a line it cannot use comes back
/// as <see cref="LineOutcome.Skipped"/> with a reason.
/// </summary>
public interface IAgentOutputParser
{
    /// <summary>Parses one line (without its newline) and appends what it reports to <paramref name="events"/>.</summary>
    LineParseResult Parse(ReadOnlySpan<byte> line, List<AgentEvent> events);

    /// <summary>Forgets per-run state, for a parser reused across runs.</summary>
    void Reset();
}
