using System.Text;
using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.ClaudeCode;

// One handler per message type. Each starts just inside the line's top-level object and leaves the
// reader on its closing brace. Strings are remembered as slices and created only when emitted.
public sealed partial class ClaudeStreamJsonParser
{
    private enum BlockType
    {
        Other,
        Text,
        Thinking,
        ToolUse,
        ToolResult,
    }

    private static LineParseResult ParseSystem(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var isInit = false;
        JsonStringSlice sessionId = default, model = default, cwd = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("subtype"u8))
            {
                reader.Read();
                isInit = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("init"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("session_id"u8))
            {
                sessionId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                model = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("cwd"u8))
            {
                cwd = ReadString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        if (!isInit || !sessionId.HasValue)
        {
            return LineParseResult.Ignore(LineReason.NothingToReport);
        }

        events.Add(new SessionInitialized(sessionId.Materialise(line), model.ToStringOrNull(line), cwd.ToStringOrNull(line)));
        return LineParseResult.Produced(1);
    }

    private LineParseResult ParseAssistant(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var start = events.Count;
        OpenTurn(events);
        var blocksStart = events.Count;
        JsonStringSlice parent = default, error = default;
        var isRateLimitError = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ParseMessage(ref reader, line, events, fromUser: false);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("parent_tool_use_id"u8))
            {
                parent = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = JsonStringSlice.Capture(ref reader);
                isRateLimitError = error.HasValue && reader.ValueTextEquals("rate_limit"u8);
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        if (error.HasValue)
        {
            // The message's text is the error's description, not something the agent said to the user.
            var detail = FirstText(events, blocksStart);
            events.RemoveRange(blocksStart, events.Count - blocksStart);
            if (isRateLimitError)
            {
                if (_rateLimitReportedThisTurn)
                {
                    return Finish(events, start, LineReason.RateLimitAlreadyReported);
                }

                events.Add(new AgentError(ProviderErrors.RateLimit, detail ?? "rate limit reached", IsRateLimitFallback: true));
                _rateLimitReportedThisTurn = true;
            }
            else
            {
                var code = error.Materialise(line);
                events.Add(new AgentError(code, detail ?? code, IsRateLimitFallback: false));
            }
        }
        else if (parent.HasValue && events.Count > blocksStart)
        {
            AttachParent(events, blocksStart, parent.Materialise(line));
        }

        return Finish(events, start, LineReason.NothingToReport);
    }

    private LineParseResult ParseUser(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var start = events.Count;
        OpenTurn(events);
        var blocksStart = events.Count;
        JsonStringSlice parent = default, uuid = default;
        var replay = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ParseMessage(ref reader, line, events, fromUser: true);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("parent_tool_use_id"u8))
            {
                parent = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("uuid"u8))
            {
                uuid = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("isReplay"u8))
            {
                reader.Read();
                replay = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else
            {
                // tool_use_result repeats the tool output in a richer shape: skipped unread.
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        if (parent.HasValue && events.Count > blocksStart)
        {
            AttachParent(events, blocksStart, parent.Materialise(line));
        }

        if (replay)
        {
            // The echo of a message written to the CLI's input (--replay-user-messages): the conversation has taken it.
            events.Add(new InputAccepted(uuid.HasValue ? uuid.Materialise(line) : null));
        }

        return Finish(events, start, LineReason.NothingToReport);
    }

    private LineParseResult ParseResult(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        var isError = false;
        decimal? cost = null;
        var usage = TokenUsage.Zero;
        JsonStringSlice sessionId = default, subtype = default, text = default;
        JsonValueSlice errors = default;
        int? numTurns = null;
        long? durationMs = null;
        var rateLimitedCall = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("is_error"u8))
            {
                reader.Read();
                isError = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("total_cost_usd"u8))
            {
                reader.Read();
                cost = reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var c) ? c : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                usage = ReadUsage(ref reader);
            }
            else if (reader.ValueTextEquals("session_id"u8))
            {
                sessionId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("subtype"u8))
            {
                subtype = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                text = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("errors"u8))
            {
                reader.Read();
                errors = reader.TokenType == JsonTokenType.StartArray ? JsonValueSlice.CaptureAndSkip(ref reader) : default;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("num_turns"u8))
            {
                reader.Read();
                numTurns = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("duration_ms"u8))
            {
                reader.Read();
                durationMs = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var d) ? d : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("api_error_status"u8))
            {
                reader.Read();
                rateLimitedCall |= reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var status) && status == 429;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("api_error_type"u8))
            {
                reader.Read();
                rateLimitedCall |= reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("rate_limit_error"u8);
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        var start = events.Count;
        OpenTurn(events);
        var resultText = text.ToStringOrNull(line) ?? JoinStrings(errors.Span(line));
        if (isError && rateLimitedCall && !_rateLimitReportedThisTurn)
        {
            // The turn failed on an HTTP 429 that nothing else reported (no rate_limit_event, no assistant error).
            events.Add(new AgentError(ProviderErrors.RateLimit, resultText ?? "rate limit reached", IsRateLimitFallback: true));
        }

        if (isError && errors.HasValue && errors.Span(line).IndexOf("No conversation found"u8) >= 0)
        {
            // A resume whose conversation the CLI does not have (its session files are gone): nothing ran.
            events.Add(new AgentError(ProviderErrors.ConversationNotFound, resultText!, IsRateLimitFallback: false));
        }

        events.Add(new TurnEnded(
            isError,
            usage,
            cost,
            sessionId.ToStringOrNull(line),
            ClaudeKnownStrings.Intern(subtype, line),
            resultText,
            numTurns,
            durationMs));
        _turnOpen = false;
        _rateLimitReportedThisTurn = false;
        return LineParseResult.Produced(events.Count - start);
    }

    private LineParseResult ParseRateLimit(ref Utf8JsonReader reader, List<AgentEvent> events)
    {
        RateLimitEvent? info = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("rate_limit_info"u8))
            {
                reader.Read();
                info = ReadRateLimitInfo(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        var start = events.Count;
        OpenTurn(events);
        if (info is not null)
        {
            events.Add(info);
            if (info.Status == RateLimitStatus.Rejected)
            {
                _rateLimitReportedThisTurn = true;
            }
        }

        return Finish(events, start, LineReason.NothingToReport);
    }

    private static RateLimitEvent? ReadRateLimitInfo(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        var status = RateLimitStatus.Unknown;
        RateLimitStatus? overageStatus = null;
        DateTimeOffset? resetsAt = null, overageResetsAt = null;
        string? limitType = null;
        var onOverage = false;
        double? utilization = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = ReadStatus(ref reader);
            }
            else if (reader.ValueTextEquals("resetsAt"u8))
            {
                reader.Read();
                resetsAt = ReadInstant(ref reader);
            }
            else if (reader.ValueTextEquals("rateLimitType"u8))
            {
                reader.Read();
                limitType = ClaudeKnownStrings.RateLimitType(ref reader);
            }
            else if (reader.ValueTextEquals("isUsingOverage"u8))
            {
                reader.Read();
                onOverage = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("overageStatus"u8))
            {
                reader.Read();
                overageStatus = reader.TokenType == JsonTokenType.Null ? null : ReadStatus(ref reader);
            }
            else if (reader.ValueTextEquals("overageResetsAt"u8))
            {
                reader.Read();
                overageResetsAt = ReadInstant(ref reader);
            }
            else if (reader.ValueTextEquals("utilization"u8))
            {
                reader.Read();
                utilization = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var u) ? u : null;
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        return new RateLimitEvent(status, resetsAt, limitType, onOverage, overageStatus, overageResetsAt, utilization);
    }

    /// <summary>Reads an <c>assistant</c> or <c>user</c> message object's content blocks.</summary>
    private static void ParseMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events, bool fromUser)
    {
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("content"u8))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ParseBlock(ref reader, line, events, fromUser);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else if (reader.TokenType == JsonTokenType.String && !fromUser)
            {
                // Plain string content is shorthand for one text block. (A user's string is the prompt echo.)
                var text = JsonStringSlice.Capture(ref reader);
                events.Add(new TextBlock(text.Materialise(line)));
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void ParseBlock(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events, bool fromUser)
    {
        var type = BlockType.Other;
        JsonStringSlice text = default, id = default, name = default, toolUseId = default, contentText = default;
        JsonValueSlice input = default, contentArray = default;
        var isError = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = ReadBlockType(ref reader);
            }
            else if (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("thinking"u8))
            {
                text = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    contentArray = JsonValueSlice.CaptureAndSkip(ref reader);
                }
                else
                {
                    contentText = JsonStringSlice.Capture(ref reader);
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("tool_use_id"u8))
            {
                toolUseId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                name = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                input = JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else if (reader.ValueTextEquals("is_error"u8))
            {
                reader.Read();
                isError = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        switch (type)
        {
            case BlockType.Text when !fromUser:
                events.Add(new TextBlock(text.Materialise(line)));
                break;
            case BlockType.Thinking when !fromUser:
                events.Add(new ThinkingBlock(text.Materialise(line)));
                break;
            case BlockType.ToolUse when !fromUser:
                events.Add(new ToolUseBlock(id.Materialise(line), ClaudeKnownStrings.ToolName(name, line), input.Materialise(line)));
                break;
            case BlockType.ToolResult when fromUser:
                var output = contentArray.HasValue ? FlattenContent(contentArray.Span(line)) : contentText.Materialise(line);
                events.Add(new ToolResultBlock(toolUseId.Materialise(line), output, isError));
                break;
        }
    }

    /// <summary>A tool result given as content blocks: its text parts, one per line; images as a marker.</summary>
    private static string FlattenContent(ReadOnlySpan<byte> array)
    {
        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        var builder = new StringBuilder();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            string? part = null;
            var isImage = false;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    part = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    isImage = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("image"u8);
                }
                else
                {
                    reader.Skip();
                }
            }

            part ??= isImage ? "[image]" : null;
            if (part is not null)
            {
                if (builder.Length > 0)
                {
                    builder.Append('\n');
                }

                builder.Append(part);
            }
        }

        return builder.ToString();
    }

    /// <summary>A result's <c>errors</c> array (e.g. "No conversation found …"), as one line of text.</summary>
    private static string? JoinStrings(ReadOnlySpan<byte> array)
    {
        if (array.IsEmpty)
        {
            return null;
        }

        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        string? joined = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                var part = reader.GetString();
                joined = joined is null ? part : $"{joined}; {part}";
            }
            else
            {
                reader.Skip();
            }
        }

        return joined;
    }

    private static BlockType ReadBlockType(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return BlockType.Other;
        }

        if (reader.ValueTextEquals("text"u8))
        {
            return BlockType.Text;
        }

        if (reader.ValueTextEquals("tool_use"u8))
        {
            return BlockType.ToolUse;
        }

        if (reader.ValueTextEquals("tool_result"u8))
        {
            return BlockType.ToolResult;
        }

        return reader.ValueTextEquals("thinking"u8) ? BlockType.Thinking : BlockType.Other;
    }

    private static RateLimitStatus ReadStatus(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return RateLimitStatus.Unknown;
        }

        if (reader.ValueTextEquals("rejected"u8))
        {
            return RateLimitStatus.Rejected;
        }

        if (reader.ValueTextEquals("allowed"u8))
        {
            return RateLimitStatus.Allowed;
        }

        return reader.ValueTextEquals("allowed_warning"u8) ? RateLimitStatus.AllowedWarning : RateLimitStatus.Unknown;
    }

    /// <summary>
    /// An instant as Claude Code writes it: epoch seconds. Numbers past 1e11 are read as milliseconds
    /// (seconds that large would be after the year 5000); ISO-8601 strings are accepted too.
    /// </summary>
    private static DateTimeOffset? ReadInstant(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetDouble(out var value):
                var ms = Math.Abs(value) >= 1e11 ? value : value * 1000;
                return ms is >= -62_135_596_800_000 and <= 253_402_300_799_000
                    ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms)
                    : null;
            case JsonTokenType.String:
                return DateTimeOffset.TryParse(reader.GetString(), null, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
                    ? parsed
                    : null;
            default:
                reader.Skip();
                return null;
        }
    }

    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return TokenUsage.Zero;
        }

        long input = 0, output = 0, cacheRead = 0, cacheCreation = 0;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                input = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                output = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                cacheRead = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                cacheCreation = ReadLong(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return new TokenUsage(input, output, cacheRead, cacheCreation);
    }

    private static long ReadLong(ref Utf8JsonReader reader)
    {
        reader.Read();
        var value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) ? v : 0;
        reader.Skip();
        return value;
    }

    private static string? FirstText(List<AgentEvent> events, int from)
    {
        for (var i = from; i < events.Count; i++)
        {
            if (events[i] is TextBlock text && !string.IsNullOrWhiteSpace(text.Text))
            {
                return text.Text;
            }
        }

        return null;
    }

    private static void AttachParent(List<AgentEvent> events, int from, string parent)
    {
        for (var i = from; i < events.Count; i++)
        {
            if (events[i] is ContentBlock block)
            {
                events[i] = block with { ParentToolUseId = parent };
            }
        }
    }

    private static LineParseResult Finish(List<AgentEvent> events, int start, LineReason emptyReason)
    {
        var count = events.Count - start;
        return count > 0 ? LineParseResult.Produced(count) : LineParseResult.Ignore(emptyReason);
    }
}
