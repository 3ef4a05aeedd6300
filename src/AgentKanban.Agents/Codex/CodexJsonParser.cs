using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.Codex;

/// <summary>
/// Parses <c>codex exec --json</c> output (0.169.0), one line at a time:
/// <list type="bullet">
/// <item><c>thread.started</c> → <see cref="SessionInitialized"/> with the thread id (the resume token);</item>
/// <item><c>turn.started</c> → <see cref="TurnStarted"/>;</item>
/// <item><c>item.*</c>: <c>agent_message</c> → <see cref="TextBlock"/>, <c>reasoning</c> → <see cref="ThinkingBlock"/>,
/// <c>command_execution</c>, <c>file_change</c>, <c>mcp_tool_call</c>, <c>web_search</c> → <see cref="ToolUseBlock"/> when
/// started and <see cref="ToolResultBlock"/> when completed, <c>todo_list</c> → the plan as a <see cref="ThinkingBlock"/>,
/// <c>error</c> items (non-fatal notices) → skipped with their text;</item>
/// <item><c>turn.completed</c> → <see cref="TurnEnded"/> with this turn's tokens: Codex reports the thread's running total
/// (runs before a resume included), so the total the thread had before is subtracted;</item>
/// <item><c>turn.failed</c> → <see cref="TurnEnded"/> with <c>IsError</c>. Why it failed is reported by
/// <see cref="Complete"/> once the run is over, because only the session file tells a usage limit (and its reset) from an
/// ordinary failure, and a rate limit must never be reported as an ordinary error;</item>
/// <item>top-level <c>error</c> lines are notices (Codex prints "Reconnecting… 1/5" there while it retries); the last one
/// is kept as the failure's detail.</item>
/// </list>
/// Reads the line's bytes with <see cref="Utf8JsonReader"/> and creates strings only for what it emits. One instance per
/// run; not thread-safe.
/// </summary>
public sealed partial class CodexJsonParser : IAgentOutputParser
{
    private readonly CodexUsage _initialTotal;
    private readonly string? _model;
    private readonly string? _workingDirectory;
    private readonly HashSet<string> _openTools = new(StringComparer.Ordinal);
    private CodexUsage _previousTotal;
    private bool _turnOpen;
    private string? _lastNotice;
    private string? _lastText;

    /// <param name="previousTotal">The thread's token total before this run (zero for a new thread).</param>
    /// <param name="model">Reported with the session (Codex does not print its model).</param>
    /// <param name="workingDirectory">Reported with the session.</param>
    public CodexJsonParser(CodexUsage previousTotal = default, string? model = null, string? workingDirectory = null)
    {
        _initialTotal = previousTotal;
        _previousTotal = previousTotal;
        _model = model;
        _workingDirectory = workingDirectory;
    }

    /// <summary>The thread id from <c>thread.started</c>, once seen.</summary>
    public string? ThreadId { get; private set; }

    /// <summary>The failure of the last turn (<c>turn.failed</c>'s message), reported by <see cref="Complete"/>.</summary>
    public string? Failure { get; private set; }

    private enum EventType
    {
        Unknown,
        ThreadStarted,
        TurnStarted,
        TurnCompleted,
        TurnFailed,
        ItemStarted,
        ItemUpdated,
        ItemCompleted,
        Error,
    }

    public void Reset()
    {
        _previousTotal = _initialTotal;
        _turnOpen = false;
        _lastNotice = null;
        _lastText = null;
        _openTools.Clear();
        ThreadId = null;
        Failure = null;
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
        var state = (_turnOpen, _previousTotal, ThreadId, Failure, _lastNotice, _lastText);
        try
        {
            var result = ParseObject(line, events);
            if (result.Outcome == LineOutcome.Skipped)
            {
                Rollback(events, mark, state);
            }

            return result;
        }
        catch (Exception ex) when (IsMalformedLine(ex))
        {
            Rollback(events, mark, state);
            return LineParseResult.Skip(LineReason.Malformed, ex.Message);
        }
    }

    /// <summary>
    /// The run is over: reports what only its end can tell, from the thread's session file (the part this run wrote;
    /// null when there is none) and the CLI's stderr. The usage windows seen (<see cref="UsageWindowsReported"/>); then
    /// for a usage limit the rejection with its reset (or the fallback when no reset is known), for a plain 429 the
    /// fallback, for a resume of a thread Codex does not have <see cref="ProviderErrors.ConversationNotFound"/>, and for
    /// any other failed turn an <see cref="AgentError"/>.
    /// </summary>
    public void Complete(CodexRolloutSummary? sessionFile, string? standardError, List<AgentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var windows = sessionFile?.Windows ?? [];
        if (windows.Count > 0)
        {
            events.Add(new UsageWindowsReported(windows));
        }

        var errorInfo = sessionFile?.ErrorInfo;
        var detail = Failure ?? _lastNotice;
        if (errorInfo == CodexFailures.UsageLimitExceeded || (Failure is not null && CodexFailures.MentionsUsageLimit(Failure)))
        {
            events.Add(CodexFailures.Rejection(windows)
                ?? (AgentEvent)new AgentError(ProviderErrors.RateLimit, detail ?? "usage limit reached", IsRateLimitFallback: true));
        }
        else if (Failure is { } failure)
        {
            events.Add(CodexFailures.IsTooManyRequests(failure)
                ? new AgentError(ProviderErrors.RateLimit, failure, IsRateLimitFallback: true)
                : new AgentError(CodexFailures.ErrorCode(errorInfo, failure), failure, IsRateLimitFallback: false));
        }
        else if (CodexFailures.ThreadNotFound(standardError) is { } missing)
        {
            events.Add(new AgentError(ProviderErrors.ConversationNotFound, missing, IsRateLimitFallback: false));
        }
    }

    private void Rollback(List<AgentEvent> events, int mark, (bool, CodexUsage, string?, string?, string?, string?) state)
    {
        events.RemoveRange(mark, events.Count - mark);
        (_turnOpen, _previousTotal, ThreadId, Failure, _lastNotice, _lastText) = state;
    }

    private LineParseResult ParseObject(ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read(); // StartObject: checked by the caller's first-byte test.

        // Codex writes "type" first; any other order costs one extra scan of the line.
        EventType type;
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

        return type switch
        {
            EventType.ThreadStarted => ParseThreadStarted(ref reader, line, events),
            EventType.TurnStarted => ParseTurnStarted(ref reader, events),
            EventType.TurnCompleted => ParseTurnCompleted(ref reader, events),
            EventType.TurnFailed => ParseTurnFailed(ref reader, line, events),
            EventType.ItemStarted or EventType.ItemUpdated or EventType.ItemCompleted => ParseItemEvent(ref reader, line, events, type),
            EventType.Error => ParseNotice(ref reader, line),
            _ => LineParseResult.Skip(LineReason.UnknownType, TypeName(line)),
        };
    }

    private static EventType Classify(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return EventType.Unknown;
        }

        if (reader.ValueTextEquals("item.completed"u8))
        {
            return EventType.ItemCompleted;
        }

        if (reader.ValueTextEquals("item.started"u8))
        {
            return EventType.ItemStarted;
        }

        if (reader.ValueTextEquals("item.updated"u8))
        {
            return EventType.ItemUpdated;
        }

        if (reader.ValueTextEquals("turn.started"u8))
        {
            return EventType.TurnStarted;
        }

        if (reader.ValueTextEquals("turn.completed"u8))
        {
            return EventType.TurnCompleted;
        }

        if (reader.ValueTextEquals("turn.failed"u8))
        {
            return EventType.TurnFailed;
        }

        if (reader.ValueTextEquals("thread.started"u8))
        {
            return EventType.ThreadStarted;
        }

        return reader.ValueTextEquals("error"u8) ? EventType.Error : EventType.Unknown;
    }

    private static bool TryFindType(ReadOnlySpan<byte> line, out EventType type)
    {
        var found = TrySeekType(line, out var reader);
        type = found ? Classify(ref reader) : EventType.Unknown;
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
