using System.Text;
using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.Codex;

// One handler per event type. Each starts just inside the line's top-level object and leaves the reader on its closing
// brace. Strings are remembered as slices and created only when emitted.
public sealed partial class CodexJsonParser
{
    private LineParseResult ParseThreadStarted(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice threadId = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("thread_id"u8))
            {
                threadId = ReadString(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        EnsureEnd(ref reader);
        if (!threadId.HasValue)
        {
            return LineParseResult.Skip(LineReason.NothingToReport, "thread.started without a thread_id");
        }

        ThreadId = threadId.Materialise(line);
        events.Add(new SessionInitialized(ThreadId, _model, _workingDirectory));
        return LineParseResult.Produced(1);
    }

    private LineParseResult ParseTurnStarted(ref Utf8JsonReader reader, List<AgentEvent> events)
    {
        SkipRest(ref reader);
        _lastText = null;
        return OpenTurn(events) ? LineParseResult.Produced(1) : LineParseResult.Ignore(LineReason.NothingToReport);
    }

    private LineParseResult ParseTurnCompleted(ref Utf8JsonReader reader, List<AgentEvent> events)
    {
        CodexUsage? total = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                total = ReadUsage(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        EnsureEnd(ref reader);
        var start = events.Count;
        OpenTurn(events);
        var usage = TokenUsage.Zero;
        if (total is { } now)
        {
            // A running total for the thread: this turn used what it grew by.
            usage = now.Since(_previousTotal).ToTokenUsage();
            _previousTotal = now;
        }

        events.Add(new TurnEnded(false, usage, null, ThreadId, "completed", _lastText, null, null));
        _turnOpen = false;
        return LineParseResult.Produced(events.Count - start);
    }

    private LineParseResult ParseTurnFailed(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice message = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                message = ReadMessage(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        EnsureEnd(ref reader);
        var start = events.Count;
        OpenTurn(events);
        Failure = message.ToStringOrNull(line) ?? _lastNotice ?? "the turn failed";
        events.Add(new TurnEnded(true, TokenUsage.Zero, null, ThreadId, "failed", Failure, null, null));
        _turnOpen = false;
        return LineParseResult.Produced(events.Count - start);
    }

    /// <summary>A top-level <c>error</c>: a notice (retries print here too); the turn fails only with <c>turn.failed</c>.</summary>
    private LineParseResult ParseNotice(ref Utf8JsonReader reader, ReadOnlySpan<byte> line)
    {
        JsonStringSlice message = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("message"u8))
            {
                message = ReadString(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        EnsureEnd(ref reader);
        _lastNotice = message.ToStringOrNull(line) ?? _lastNotice;
        return LineParseResult.Ignore(LineReason.NothingToReport);
    }

    /// <summary>An <c>error</c> object's <c>message</c> (or a bare string).</summary>
    private static JsonStringSlice ReadMessage(ref Utf8JsonReader reader)
    {
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
            else
            {
                SkipValue(ref reader);
            }
        }

        return message;
    }

    /// <summary>Codex's usage object (absent fields count as zero).</summary>
    internal static CodexUsage? ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        long input = 0, cached = 0, cacheWrite = 0, output = 0, reasoning = 0;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                input = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("cached_input_tokens"u8))
            {
                cached = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("cache_write_input_tokens"u8))
            {
                cacheWrite = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                output = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("reasoning_output_tokens"u8))
            {
                reasoning = ReadLong(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new CodexUsage(input, cached, cacheWrite, output, reasoning);
    }

    private static long ReadLong(ref Utf8JsonReader reader)
    {
        reader.Read();
        var value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) && v >= 0 ? v : 0;
        reader.Skip();
        return value;
    }

    /// <summary>From a property name: skips its value.</summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    private static void SkipRest(ref Utf8JsonReader reader)
    {
        while (NextProperty(ref reader))
        {
            SkipValue(ref reader);
        }

        EnsureEnd(ref reader);
    }

    /// <summary><c>{"NAME":RAW}</c> with <paramref name="raw"/> copied as it stands (already valid JSON), in one allocation.</summary>
    private static string WrapJson(string name, ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty)
        {
            return "{}";
        }

        var length = name.Length + 5 + Encoding.UTF8.GetCharCount(raw);
        return string.Create(length, new WrapState(name, raw), static (chars, state) =>
        {
            chars[0] = '{';
            chars[1] = '"';
            state.Name.CopyTo(chars[2..]);
            var at = 2 + state.Name.Length;
            chars[at] = '"';
            chars[at + 1] = ':';
            var written = Encoding.UTF8.GetChars(state.Raw, chars[(at + 2)..]);
            chars[at + 2 + written] = '}';
        });
    }

    private readonly ref struct WrapState(string name, ReadOnlySpan<byte> raw)
    {
        public string Name { get; } = name;

        public ReadOnlySpan<byte> Raw { get; } = raw;
    }
}
