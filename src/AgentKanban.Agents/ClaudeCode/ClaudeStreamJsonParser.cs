using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.ClaudeCode;

/// <summary>
/// Parses Claude Code's <c>--output-format stream-json --verbose</c> output, one line at a time.
/// <list type="bullet">
/// <item><c>system/init</c> → <see cref="SessionInitialized"/>;</item>
/// <item><c>assistant</c> → <see cref="TextBlock"/>, <see cref="ThinkingBlock"/>, <see cref="ToolUseBlock"/> per content block,
/// or an <see cref="AgentError"/> when the message carries <c>error</c> (for <c>rate_limit</c>: the fallback signal,
/// dropped when a structured rejection already arrived in the same turn);</item>
/// <item><c>user</c> → <see cref="ToolResultBlock"/> per tool result; the echo of a message written to the CLI's input
/// (<c>isReplay</c>, with <c>--replay-user-messages</c>) → <see cref="InputAccepted"/> with its <c>uuid</c>;</item>
/// <item><c>rate_limit_event</c> → <see cref="RateLimitEvent"/>;</item>
/// <item><c>result</c> → <see cref="TurnEnded"/>, preceded by the rate-limit fallback when the failed turn names an HTTP 429
/// and nothing in the turn reported the limit yet (on an API key the CLI prints no <c>rate_limit_event</c>), and by an
/// <see cref="AgentError"/> coded <see cref="Core.Policies.ProviderErrors.ConversationNotFound"/> when a resume found no
/// conversation under its id;</item>
/// <item><c>stream_event</c> partials → ignored after reading only their type.</item>
/// </list>
/// The first content of a turn is preceded by <see cref="TurnStarted"/>.
/// Reads the line's bytes with <see cref="Utf8JsonReader"/> and only creates strings for what it emits,
/// so a line that produces nothing allocates nothing. One instance per agent run (it keeps turn state);
/// not thread-safe.
/// </summary>
public sealed partial class ClaudeStreamJsonParser : IAgentOutputParser
{
    private bool _turnOpen;
    private bool _rateLimitReportedThisTurn;

    private enum MessageType
    {
        Unknown,
        System,
        Assistant,
        User,
        Result,
        RateLimit,
        StreamEvent,
    }

    public void Reset()
    {
        _turnOpen = false;
        _rateLimitReportedThisTurn = false;
    }

    public LineParseResult Parse(ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        line = line.Trim(" \t\r\n"u8);
        if (line.IsEmpty)
        {
            return LineParseResult.Ignore(LineReason.Blank);
        }

        if (line[0] != (byte)'{')
        {
            return LineParseResult.Skip(LineReason.NotAnObject);
        }

        var mark = events.Count;
        var turnOpen = _turnOpen;
        var rejection = _rateLimitReportedThisTurn;
        try
        {
            var result = ParseObject(line, events);
            if (result.Outcome == LineOutcome.Skipped)
            {
                Rollback(events, mark, turnOpen, rejection);
            }

            return result;
        }
        catch (Exception ex) when (IsMalformedLine(ex))
        {
            Rollback(events, mark, turnOpen, rejection);
            return LineParseResult.Skip(LineReason.Malformed, ex.Message);
        }
    }

    private void Rollback(List<AgentEvent> events, int mark, bool turnOpen, bool rejection)
    {
        events.RemoveRange(mark, events.Count - mark);
        _turnOpen = turnOpen;
        _rateLimitReportedThisTurn = rejection;
    }

    private LineParseResult ParseObject(ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read(); // StartObject: checked by the caller's first-byte test.

        // Claude Code writes "type" first; any other order costs one extra scan of the line.
        MessageType type;
        if (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("type"u8))
        {
            reader.Read();
            type = Classify(ref reader);
        }
        else
        {
            if (!TryFindType(line, out type))
            {
                return LineParseResult.Skip(LineReason.MissingType);
            }

            reader = new Utf8JsonReader(line, ReaderOptions);
            reader.Read();
        }

        switch (type)
        {
            case MessageType.StreamEvent:
                // Partial messages repeat what the complete assistant message carries: read nothing more.
                return OpenTurn(events) ? LineParseResult.Produced(1) : LineParseResult.Ignore(LineReason.PartialMessage);
            case MessageType.System:
                return ParseSystem(ref reader, line, events);
            case MessageType.Assistant:
                return ParseAssistant(ref reader, line, events);
            case MessageType.User:
                return ParseUser(ref reader, line, events);
            case MessageType.Result:
                return ParseResult(ref reader, line, events);
            case MessageType.RateLimit:
                return ParseRateLimit(ref reader, events);
            default:
                return LineParseResult.Skip(LineReason.UnknownType, TypeName(line));
        }
    }

    private static MessageType Classify(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return MessageType.Unknown;
        }

        if (reader.ValueTextEquals("assistant"u8))
        {
            return MessageType.Assistant;
        }

        if (reader.ValueTextEquals("user"u8))
        {
            return MessageType.User;
        }

        if (reader.ValueTextEquals("stream_event"u8))
        {
            return MessageType.StreamEvent;
        }

        if (reader.ValueTextEquals("rate_limit_event"u8))
        {
            return MessageType.RateLimit;
        }

        if (reader.ValueTextEquals("result"u8))
        {
            return MessageType.Result;
        }

        return reader.ValueTextEquals("system"u8) ? MessageType.System : MessageType.Unknown;
    }

    private static bool TryFindType(ReadOnlySpan<byte> line, out MessageType type)
    {
        var found = TrySeekType(line, out var reader);
        type = found ? Classify(ref reader) : MessageType.Unknown;
        return found;
    }

    /// <summary>Emits <see cref="TurnStarted"/> before the first content of a turn; true if it did.</summary>
    private bool OpenTurn(List<AgentEvent> events)
    {
        if (_turnOpen)
        {
            return false;
        }

        _turnOpen = true;
        events.Add(TurnStarted.Instance);
        return true;
    }
}
