using System.Buffers;
using System.Text;
using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.Gemini;

/// <summary>
/// Parses the Gemini CLI's <c>--output-format stream-json</c> output, one line at a time.
/// <list type="bullet">
/// <item><c>init</c> → <see cref="SessionInitialized"/> (its <c>session_id</c> is the resume token);</item>
/// <item>assistant <c>message</c> deltas (<c>"delta":true</c>) are gathered and emitted as ONE <see cref="TextBlock"/> when
/// the text ends: at a tool call, a tool result, an error, the result, or a whole (non-delta) message; the prompt's
/// echo (<c>"role":"user"</c>) is ignored;</item>
/// <item><c>tool_use</c> → <see cref="ToolUseBlock"/>; <c>tool_result</c> → <see cref="ToolResultBlock"/> (an error unless
/// <c>"status":"success"</c>);</item>
/// <item><c>error</c> with <c>"severity":"error"</c> → <see cref="AgentError"/>, or the rate limit it names; warnings are
/// ignored;</item>
/// <item><c>result</c> → <see cref="TurnEnded"/>; with <c>"status":"error"</c> preceded by the rate limit its message names
/// (see <see cref="GeminiRateLimits"/>) or by an <see cref="AgentError"/>.</item>
/// </list>
/// The stats of a result count that invocation only (one CLI run is one turn), so they are the turn's usage as they
/// stand; <c>input</c> (prompt tokens not served from the cache) is the input count, <c>cached</c> the cache reads.
/// The first content of a turn is preceded by <see cref="TurnStarted"/>. Reads bytes with <see cref="Utf8JsonReader"/>
/// and creates strings only for what it emits. One instance per agent run; not thread-safe.
/// </summary>
public sealed class GeminiStreamJsonParser(TimeProvider timeProvider) : IAgentOutputParser
{
    private readonly StringBuilder _text = new();
    private bool _turnOpen;
    private bool _rateLimitReported;
    private string? _sessionId;
    private string? _lastText;

    private enum LineType
    {
        Unknown,
        Init,
        Message,
        ToolUse,
        ToolResult,
        Error,
        Result,
    }

    /// <summary>Whether a <c>result</c> line was seen in this run (a run without one ended before its turn could finish).</summary>
    public bool SawResult { get; private set; }

    /// <summary>Whether anything in this run reported a rate limit.</summary>
    public bool SawRateLimit { get; private set; }

    public GeminiStreamJsonParser()
        : this(TimeProvider.System)
    {
    }

    public void Reset()
    {
        _text.Clear();
        _turnOpen = false;
        _rateLimitReported = false;
        _sessionId = null;
        _lastText = null;
        SawResult = false;
        SawRateLimit = false;
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

        // A line that turns out to be broken must leave no trace: neither events nor gathered text.
        var mark = events.Count;
        var textLength = _text.Length;
        var state = (_turnOpen, _rateLimitReported, _sessionId, _lastText, SawResult, SawRateLimit);
        try
        {
            var result = ParseObject(line, events);
            if (result.Outcome == LineOutcome.Skipped)
            {
                Rollback(events, mark, textLength, state);
            }

            return result;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException: a string that is not valid UTF-8; ArgumentException: an out-of-range value.
            Rollback(events, mark, textLength, state);
            return LineParseResult.Skip(LineReason.Malformed, ex.Message);
        }
    }

    private void Rollback(List<AgentEvent> events, int mark, int textLength,
        (bool TurnOpen, bool RateLimit, string? SessionId, string? LastText, bool SawResult, bool SawRateLimit) state)
    {
        events.RemoveRange(mark, events.Count - mark);
        if (_text.Length >= textLength)
        {
            _text.Length = textLength;
        }

        (_turnOpen, _rateLimitReported, _sessionId, _lastText, SawResult, SawRateLimit) = state;
    }

    private LineParseResult ParseObject(ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read(); // StartObject: checked by the caller's first-byte test.

        // The CLI writes "type" first; any other order costs one extra scan of the line.
        LineType? type;
        if (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("type"u8))
        {
            reader.Read();
            type = Classify(ref reader);
        }
        else
        {
            type = FindType(line);
            if (type is null)
            {
                return LineParseResult.Skip(LineReason.MissingType);
            }

            reader = new Utf8JsonReader(line, ReaderOptions);
            reader.Read();
        }

        var start = events.Count;
        var gathered = false;
        switch (type.Value)
        {
            case LineType.Init:
                ParseInit(ref reader, line, events);
                break;
            case LineType.Message:
                gathered = ParseMessage(ref reader, line, events);
                break;
            case LineType.ToolUse:
                ParseToolUse(ref reader, line, events);
                break;
            case LineType.ToolResult:
                ParseToolResult(ref reader, line, events);
                break;
            case LineType.Error:
                ParseError(ref reader, line, events);
                break;
            case LineType.Result:
                ParseResult(ref reader, line, events);
                break;
            default:
                return LineParseResult.Skip(LineReason.UnknownType, TypeName(line));
        }

        EnsureEnd(ref reader);
        var count = events.Count - start;
        return count > 0
            ? LineParseResult.Produced(count)
            : LineParseResult.Ignore(gathered ? LineReason.PartialMessage : LineReason.NothingToReport);
    }

    private void ParseInit(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice sessionId = default, model = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("session_id"u8))
            {
                sessionId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                model = ReadString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        if (sessionId.HasValue)
        {
            _sessionId = sessionId.Materialise(line);
            events.Add(new SessionInitialized(_sessionId, model.ToStringOrNull(line), null));
        }
    }

    /// <summary>True when the line was a delta, gathered for the text block to come.</summary>
    private bool ParseMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice content = default;
        bool assistant = false, delta = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                assistant = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("assistant"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                content = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                reader.Read();
                delta = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        if (!assistant || !content.HasValue)
        {
            // The prompt's echo, or a message without text.
            return false;
        }

        OpenTurn(events);
        if (delta)
        {
            AppendText(content, line);
            return true;
        }

        FlushText(events);
        var whole = content.Materialise(line);
        if (whole.Length > 0)
        {
            _lastText = whole;
            events.Add(new TextBlock(whole));
        }

        return false;
    }

    private void ParseToolUse(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice name = default, id = default;
        JsonValueSlice parameters = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("tool_name"u8))
            {
                name = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("tool_id"u8))
            {
                id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                reader.Read();
                parameters = JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        OpenTurn(events);
        FlushText(events);
        events.Add(new ToolUseBlock(id.Materialise(line), GeminiKnownStrings.ToolName(name, line), parameters.Materialise(line)));
    }

    private void ParseToolResult(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice id = default, output = default, errorMessage = default;
        var success = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("tool_id"u8))
            {
                id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                success = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("success"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("output"u8))
            {
                output = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                errorMessage = ReadMessage(ref reader, out _);
            }
            else
            {
                reader.Skip();
            }
        }

        OpenTurn(events);
        FlushText(events);
        var text = output.ToStringOrNull(line);
        if (string.IsNullOrEmpty(text) && !success)
        {
            text = errorMessage.ToStringOrNull(line);
        }

        events.Add(new ToolResultBlock(id.Materialise(line), text ?? string.Empty, !success));
    }

    private void ParseError(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice message = default;
        var isError = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("severity"u8))
            {
                reader.Read();
                isError = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("error"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                message = ReadString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        if (!isError)
        {
            // Warnings (a loop detected, a blocked hook) do not end the turn; the CLI carries on.
            return;
        }

        OpenTurn(events);
        FlushText(events);
        var text = message.ToStringOrNull(line);
        if (!ReportRateLimit(text, events))
        {
            events.Add(new AgentError(GeminiErrorCodes.Classify(null, text), string.IsNullOrWhiteSpace(text) ? "the Gemini CLI reported an error" : text,
                IsRateLimitFallback: false));
        }
    }

    private void ParseResult(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice errorMessage = default, errorType = default;
        var failed = false;
        var usage = TokenUsage.Zero;
        long? durationMs = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                failed = !(reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("success"u8));
                reader.Skip();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                errorMessage = ReadMessage(ref reader, out errorType);
            }
            else if (reader.ValueTextEquals("stats"u8))
            {
                reader.Read();
                usage = ReadStats(ref reader, out durationMs);
            }
            else
            {
                reader.Skip();
            }
        }

        OpenTurn(events);
        FlushText(events);
        string? resultText = _lastText;
        if (failed)
        {
            resultText = errorMessage.ToStringOrNull(line) ?? "the Gemini CLI ended the turn with an error";
            if (!ReportRateLimit(resultText, events))
            {
                events.Add(new AgentError(GeminiErrorCodes.Classify(errorType.ToStringOrNull(line), resultText), resultText, IsRateLimitFallback: false));
            }
        }

        events.Add(new TurnEnded(failed, usage, null, _sessionId, failed ? "error" : "success", resultText, null, durationMs));
        SawResult = true;
        _turnOpen = false;
        _rateLimitReported = false;
        _lastText = null;
    }

    /// <summary>Reports the rate limit <paramref name="message"/> names, once per turn; true if it names one.</summary>
    private bool ReportRateLimit(string? message, List<AgentEvent> events)
    {
        var limit = GeminiRateLimits.Classify(message, timeProvider.GetUtcNow());
        if (limit is null)
        {
            return false;
        }

        if (!_rateLimitReported)
        {
            events.Add(limit);
            _rateLimitReported = true;
            SawRateLimit = true;
        }

        return true;
    }

    /// <summary>Reads <c>stats</c>: the invocation's usage and its duration.</summary>
    private static TokenUsage ReadStats(ref Utf8JsonReader reader, out long? durationMs)
    {
        durationMs = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return TokenUsage.Zero;
        }

        long inputTokens = 0, output = 0, cached = 0;
        long? uncachedInput = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                inputTokens = ReadLong(ref reader) ?? 0;
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                uncachedInput = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                output = ReadLong(ref reader) ?? 0;
            }
            else if (reader.ValueTextEquals("cached"u8))
            {
                cached = ReadLong(ref reader) ?? 0;
            }
            else if (reader.ValueTextEquals("duration_ms"u8))
            {
                durationMs = ReadLong(ref reader);
            }
            else
            {
                // "models" repeats the same counts per model.
                reader.Skip();
            }
        }

        // input_tokens includes the cached part; the event model counts cache reads apart from input.
        var input = uncachedInput ?? Math.Max(0, inputTokens - cached);
        return new TokenUsage(input, output, cached, 0);
    }

    /// <summary>From an error object's value: its <c>message</c> (and <c>type</c>); a plain string counts as the message.</summary>
    private static JsonStringSlice ReadMessage(ref Utf8JsonReader reader, out JsonStringSlice type)
    {
        type = default;
        if (reader.TokenType == JsonTokenType.String)
        {
            return JsonStringSlice.Capture(ref reader);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return default;
        }

        JsonStringSlice message = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("message"u8))
            {
                message = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                type = ReadString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return message;
    }

    private void AppendText(JsonStringSlice content, ReadOnlySpan<byte> line)
    {
        if (!content.TryGetRaw(line, out var raw))
        {
            _text.Append(content.Materialise(line));
            return;
        }

        // Unescaped deltas decode straight into the builder: no string per delta.
        var rented = raw.Length <= 256 ? null : ArrayPool<char>.Shared.Rent(raw.Length);
        Span<char> buffer = rented ?? stackalloc char[256];
        var written = Encoding.UTF8.GetChars(raw, buffer);
        _text.Append(buffer[..written]);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private void FlushText(List<AgentEvent> events)
    {
        if (_text.Length == 0)
        {
            return;
        }

        _lastText = _text.ToString();
        _text.Clear();
        events.Add(new TextBlock(_lastText));
    }

    private void OpenTurn(List<AgentEvent> events)
    {
        if (!_turnOpen)
        {
            _turnOpen = true;
            events.Add(TurnStarted.Instance);
        }
    }

    private static LineType? FindType(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                return Classify(ref reader);
            }

            reader.Skip();
        }

        return null;
    }

    private static LineType Classify(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return LineType.Unknown;
        }

        if (reader.ValueTextEquals("message"u8))
        {
            return LineType.Message;
        }

        if (reader.ValueTextEquals("tool_use"u8))
        {
            return LineType.ToolUse;
        }

        if (reader.ValueTextEquals("tool_result"u8))
        {
            return LineType.ToolResult;
        }

        if (reader.ValueTextEquals("result"u8))
        {
            return LineType.Result;
        }

        if (reader.ValueTextEquals("init"u8))
        {
            return LineType.Init;
        }

        return reader.ValueTextEquals("error"u8) ? LineType.Error : LineType.Unknown;
    }

    private static long? ReadLong(ref Utf8JsonReader reader)
    {
        reader.Read();
        long? value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) ? v : null;
        reader.Skip();
        return value;
    }

}
