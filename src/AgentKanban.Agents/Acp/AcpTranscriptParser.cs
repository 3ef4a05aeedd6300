using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// An ACP agent's stdout as a plain line parser, for recorded transcripts (benchmarks, replays): the same mapping as a
/// live run (<see cref="AcpConversation"/>), with every session the lines open taken and every prompt result a turn's end.
/// Answers the conversation would write back are dropped.
/// </summary>
public sealed class AcpTranscriptParser : IAgentOutputParser
{
    private readonly List<byte[]> _unsent = [];
    private AcpConversation _conversation = AcpConversation.Replaying(TimeProvider.System);

    public LineParseResult Parse(ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        _unsent.Clear();
        return _conversation.Receive(line, events, _unsent);
    }

    public void Reset() => _conversation = AcpConversation.Replaying(TimeProvider.System);
}
