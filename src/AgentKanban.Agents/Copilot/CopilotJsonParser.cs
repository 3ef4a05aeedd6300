using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.Copilot;

/// <summary>
/// Parses GitHub Copilot CLI's <c>--output-format json</c> output (one session event per line,
/// <c>{"type":"…","data":{…},"ephemeral":…,"id":…,"timestamp":…}</c>), one line at a time.
/// <list type="bullet">
/// <item>the first event of the run → <see cref="SessionInitialized"/> with the session id the run was started with
/// (the CLI names new sessions after <c>--session-id</c>, so the id is known before it prints it);</item>
/// <item><c>assistant.turn_start</c> (the first) → <see cref="TurnStarted"/>;</item>
/// <item><c>assistant.message</c> → <see cref="TextBlock"/> for its <c>content</c>, a <see cref="ToolUseBlock"/> per
/// <c>toolRequests</c> entry; <c>assistant.reasoning</c> → <see cref="ThinkingBlock"/>; the <c>*_delta</c> events are
/// streaming copies of those and are ignored;</item>
/// <item><c>tool.execution_complete</c> → <see cref="ToolResultBlock"/>;</item>
/// <item><c>session.error</c> → <see cref="AgentError"/>, except a refusal for a rate limit or quota, which is held;</item>
/// <item><c>session.quota_observation</c> → <see cref="UsageWindowsReported"/> when it carries a percentage, and its
/// reset time as a candidate; <c>auto_mode_switch.requested</c> → its <c>retryAfterSeconds</c> as a candidate;</item>
/// <item><c>result</c> → the held refusal: <see cref="RateLimitEvent"/> (rejected) with the latest reset seen in the run,
/// or the rate-limit fallback <see cref="AgentError"/> when none is known; the <see cref="TurnEnded"/> is held for
/// <see cref="Complete"/>, because the CLI writes token counts to its session files, not to this stream.</item>
/// </list>
/// Every other event type (the CLI has dozens: tool starts, model-call telemetry, skills loaded, …) is ignored.
/// Reads the line's bytes with <see cref="Utf8JsonReader"/> and creates strings only for what it emits. One instance per
/// agent run; not thread-safe.
/// </summary>
public sealed partial class CopilotJsonParser : IAgentOutputParser
{
    private readonly string _sessionId;
    private readonly string? _model;
    private readonly string? _workingDirectory;
    private readonly TimeProvider _timeProvider;

    private bool _announced;
    private bool _turnOpen;
    private int _turns;
    private string? _lastText;
    private Refusal? _refusal;
    private bool _refusalReported;
    private DateTimeOffset? _latestReset;
    private TurnEnded? _heldTurnEnd;

    /// <param name="sessionId">The Copilot session this run works in (the <c>--session-id</c> or <c>--resume</c> value).</param>
    /// <param name="model">The model asked for, if any (reported with <see cref="SessionInitialized"/>).</param>
    /// <param name="workingDirectory">The run's working directory (reported with <see cref="SessionInitialized"/>).</param>
    /// <param name="timeProvider">For "now" when an event carries no timestamp, and to tell a reset already past.</param>
    public CopilotJsonParser(string sessionId, string? model, string? workingDirectory, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _sessionId = sessionId;
        _model = model;
        _workingDirectory = workingDirectory;
        _timeProvider = timeProvider;
    }

    private enum EventType
    {
        Unknown,
        TurnStart,
        Message,
        Reasoning,
        ToolComplete,
        Error,
        QuotaObservation,
        AutoModeSwitch,
        Result,
    }

    /// <summary>Whether any line of the run was a well-formed event (a resume of an unknown session prints none).</summary>
    public bool SawEvents { get; private set; }

    /// <summary>Whether the run ended with its <c>result</c> line.</summary>
    public bool SawResult => _heldTurnEnd is not null;

    public void Reset()
    {
        _announced = false;
        _turnOpen = false;
        _turns = 0;
        _lastText = null;
        _refusal = null;
        _refusalReported = false;
        _latestReset = null;
        _heldTurnEnd = null;
        SawEvents = false;
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
        var state = Save();
        try
        {
            var result = ParseObject(line, events);
            if (result.Outcome == LineOutcome.Skipped)
            {
                Restore(state, events, mark);
            }

            return result;
        }
        catch (Exception ex) when (IsMalformedLine(ex))
        {
            Restore(state, events, mark);
            return LineParseResult.Skip(LineReason.Malformed, ex.Message);
        }
    }

    /// <summary>
    /// The run's output has ended: appends what was held — the refusal, if the run had one and no <c>result</c> line
    /// reported it, and the run's <see cref="TurnEnded"/> (when a <c>result</c> line came) with <paramref name="usage"/>,
    /// the tokens this run used as read from the CLI's session files.
    /// </summary>
    public void Complete(List<AgentEvent> events, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(events);
        ReportRefusal(events);
        if (_heldTurnEnd is { } turn)
        {
            events.Add(turn with { Usage = usage });
            _heldTurnEnd = null;
        }
    }

    private (bool, bool, int, string?, Refusal?, bool, DateTimeOffset?, TurnEnded?, bool) Save() =>
        (_announced, _turnOpen, _turns, _lastText, _refusal, _refusalReported, _latestReset, _heldTurnEnd, SawEvents);

    private void Restore((bool, bool, int, string?, Refusal?, bool, DateTimeOffset?, TurnEnded?, bool) state, List<AgentEvent> events, int mark)
    {
        events.RemoveRange(mark, events.Count - mark);
        (_announced, _turnOpen, _turns, _lastText, _refusal, _refusalReported, _latestReset, _heldTurnEnd, var saw) = state;
        SawEvents = saw;
    }

    private LineParseResult ParseObject(ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read(); // StartObject: checked by the caller's first-byte test.

        // The CLI writes "type" first; any other order costs one extra scan of the line.
        EventType type;
        if (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("type"u8))
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                return LineParseResult.Skip(LineReason.MissingType);
            }

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

        var start = events.Count;
        var handled = type switch
        {
            EventType.TurnStart => ParseTurnStart(ref reader, events),
            EventType.Message => ParseMessage(ref reader, line, events),
            EventType.Reasoning => ParseReasoning(ref reader, line, events),
            EventType.ToolComplete => ParseToolComplete(ref reader, line, events),
            EventType.Error => ParseError(ref reader, line, events),
            EventType.QuotaObservation => ParseQuotaObservation(ref reader, line, events),
            EventType.AutoModeSwitch => ParseAutoModeSwitch(ref reader, line),
            EventType.Result => ParseResult(ref reader, line, events),
            _ => SkipRest(ref reader),
        };

        if (!handled)
        {
            return LineParseResult.Skip(LineReason.Malformed, "the event's data is not an object");
        }

        // Well-formed: the first event of the run announces the session, ahead of what the line produced.
        SawEvents = true;
        if (!_announced)
        {
            _announced = true;
            events.Insert(start, new SessionInitialized(_sessionId, _model, _workingDirectory));
        }

        var produced = events.Count - start;
        return produced > 0 ? LineParseResult.Produced(produced) : LineParseResult.Ignore(LineReason.NothingToReport);
    }

    private static EventType Classify(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("assistant.message"u8))
        {
            return EventType.Message;
        }

        if (reader.ValueTextEquals("tool.execution_complete"u8))
        {
            return EventType.ToolComplete;
        }

        if (reader.ValueTextEquals("assistant.turn_start"u8))
        {
            return EventType.TurnStart;
        }

        if (reader.ValueTextEquals("assistant.reasoning"u8))
        {
            return EventType.Reasoning;
        }

        if (reader.ValueTextEquals("session.error"u8))
        {
            return EventType.Error;
        }

        if (reader.ValueTextEquals("session.quota_observation"u8))
        {
            return EventType.QuotaObservation;
        }

        if (reader.ValueTextEquals("auto_mode_switch.requested"u8))
        {
            return EventType.AutoModeSwitch;
        }

        return reader.ValueTextEquals("result"u8) ? EventType.Result : EventType.Unknown;
    }

    private static bool TryFindType(ReadOnlySpan<byte> line, out EventType type)
    {
        var found = TrySeekType(line, out var reader) && reader.TokenType == JsonTokenType.String;
        type = found ? Classify(ref reader) : EventType.Unknown;
        return found;
    }

    /// <summary>Emits <see cref="TurnStarted"/> once per run, before its first content.</summary>
    private void OpenTurn(List<AgentEvent> events)
    {
        if (!_turnOpen)
        {
            _turnOpen = true;
            events.Add(TurnStarted.Instance);
        }
    }

    /// <summary>A reset time the run announced; the latest one wins, so a pause is never shortened.</summary>
    private void SeenReset(DateTimeOffset reset)
    {
        if (_latestReset is not { } known || reset > known)
        {
            _latestReset = reset;
        }
    }

    /// <summary>The held refusal, once: with a reset still ahead as a rejection, else as the fallback signal.</summary>
    private void ReportRefusal(List<AgentEvent> events)
    {
        if (_refusal is not { } refusal || _refusalReported)
        {
            return;
        }

        _refusalReported = true;
        if (_latestReset is { } reset && reset > _timeProvider.GetUtcNow())
        {
            events.Add(new RateLimitEvent(RateLimitStatus.Rejected, reset, refusal.Code, false, null, null, null));
        }
        else
        {
            events.Add(new AgentError(Core.Policies.ProviderErrors.RateLimit, refusal.Detail, IsRateLimitFallback: true));
        }
    }

    /// <summary>A refusal for a rate limit or quota, held until the run's end so the latest reset seen goes with it.</summary>
    private sealed record Refusal(string? Code, string Detail);
}
