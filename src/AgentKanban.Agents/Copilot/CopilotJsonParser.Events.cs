using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.Copilot;

// One handler per event type. Each starts just inside the line's top-level object (after "type", or at its start when
// "type" was not first) and leaves the reader past the closing brace. It returns false when "data" is not an object.
// Strings are remembered as slices of the line and created only when emitted.
public sealed partial class CopilotJsonParser
{
    /// <summary>
    /// <c>session.error</c> codes that mean "refused for a usage limit": the rate-limit codes the CLI documents for
    /// <c>errorType: "rate_limit"</c> and the quota codes for <c>errorType: "quota"</c> (not <c>billing_not_configured</c>,
    /// which no waiting cures).
    /// </summary>
    private static readonly string[] LimitCodes =
    [
        "user_weekly_rate_limited", "user_global_rate_limited", "rate_limited", "user_model_rate_limited",
        "integration_rate_limited", "quota_exceeded", "session_quota_exceeded",
    ];

    private bool ParseTurnStart(ref Utf8JsonReader reader, List<AgentEvent> events)
    {
        SkipToEnd(ref reader);
        _turns++;
        OpenTurn(events);
        return true;
    }

    private bool ParseMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice content = default, parent = default;
        JsonValueSlice requests = default;
        var isObject = true;
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("data"u8))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                isObject = false;
                reader.Skip();
                continue;
            }

            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("content"u8))
                {
                    content = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("toolRequests"u8))
                {
                    reader.Read();
                    requests = reader.TokenType == JsonTokenType.StartArray ? JsonValueSlice.CaptureAndSkip(ref reader) : Skipped(ref reader);
                }
                else if (reader.ValueTextEquals("parentToolCallId"u8))
                {
                    parent = ReadString(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        EnsureEnd(ref reader);
        if (!isObject)
        {
            return false;
        }

        OpenTurn(events);
        var parentId = parent.ToStringOrNull(line);
        if (content.TryGetRaw(line, out var raw) ? !IsBlank(raw) : content.HasValue)
        {
            var text = content.Materialise(line);
            if (!string.IsNullOrWhiteSpace(text))
            {
                _lastText = text;
                events.Add(new TextBlock(text, parentId));
            }
        }

        if (requests.HasValue)
        {
            ReadToolRequests(requests.Span(line), parentId, events);
        }

        return true;
    }

    private static void ReadToolRequests(ReadOnlySpan<byte> array, string? parentId, List<AgentEvent> events)
    {
        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read(); // StartArray
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            JsonStringSlice id = default, name = default;
            JsonValueSlice arguments = default;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("toolCallId"u8))
                {
                    id = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    name = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("arguments"u8))
                {
                    reader.Read();
                    arguments = JsonValueSlice.CaptureAndSkip(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }

            if (id.HasValue && name.HasValue)
            {
                events.Add(new ToolUseBlock(id.Materialise(array), name.Materialise(array), arguments.Materialise(array), parentId));
            }
        }
    }

    private bool ParseReasoning(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice content = default, parent = default;
        var isObject = true;
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("data"u8))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                isObject = false;
                reader.Skip();
                continue;
            }

            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("content"u8))
                {
                    content = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("parentToolCallId"u8))
                {
                    parent = ReadString(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        EnsureEnd(ref reader);
        if (!isObject)
        {
            return false;
        }

        OpenTurn(events);
        var text = content.ToStringOrNull(line);
        if (!string.IsNullOrWhiteSpace(text))
        {
            events.Add(new ThinkingBlock(text, parent.ToStringOrNull(line)));
        }

        return true;
    }

    private bool ParseToolComplete(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice id = default, parent = default, resultText = default, errorText = default;
        JsonValueSlice resultRaw = default;
        var success = true;
        var isObject = true;
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("data"u8))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                isObject = false;
                reader.Skip();
                continue;
            }

            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("toolCallId"u8))
                {
                    id = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("success"u8))
                {
                    reader.Read();
                    success = reader.TokenType != JsonTokenType.False;
                }
                else if (reader.ValueTextEquals("parentToolCallId"u8))
                {
                    parent = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("result"u8) || reader.ValueTextEquals("error"u8))
                {
                    var isError = reader.ValueTextEquals("error"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        // result.content / error.message: the text the model was shown.
                        while (NextProperty(ref reader))
                        {
                            if (!isError && reader.ValueTextEquals("content"u8))
                            {
                                reader.Read();
                                if (reader.TokenType == JsonTokenType.String)
                                {
                                    resultText = JsonStringSlice.Capture(ref reader);
                                }
                                else
                                {
                                    resultRaw = JsonValueSlice.CaptureAndSkip(ref reader);
                                }
                            }
                            else if (isError && reader.ValueTextEquals("message"u8))
                            {
                                errorText = ReadString(ref reader);
                            }
                            else
                            {
                                reader.Skip();
                            }
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        EnsureEnd(ref reader);
        if (!isObject)
        {
            return false;
        }

        if (!id.HasValue)
        {
            return true;
        }

        OpenTurn(events);
        var output = resultText.HasValue ? resultText.Materialise(line)
            : errorText.HasValue ? errorText.Materialise(line)
            : resultRaw.HasValue ? resultRaw.Materialise(line)
            : string.Empty;
        if (!success && errorText.HasValue && resultText.HasValue)
        {
            output = errorText.Materialise(line);
        }

        events.Add(new ToolResultBlock(id.Materialise(line), output, !success, parent.ToStringOrNull(line)));
        return true;
    }

    private bool ParseError(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice errorType = default, errorCode = default, message = default;
        int? status = null;
        var isObject = true;
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("data"u8))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                isObject = false;
                reader.Skip();
                continue;
            }

            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("errorType"u8))
                {
                    errorType = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("errorCode"u8))
                {
                    errorCode = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    message = ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("statusCode"u8))
                {
                    reader.Read();
                    status = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var httpStatus) ? httpStatus : null;
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        EnsureEnd(ref reader);
        if (!isObject)
        {
            return false;
        }

        var type = errorType.ToStringOrNull(line);
        var code = errorCode.ToStringOrNull(line);
        var detail = message.ToStringOrNull(line) is { Length: > 0 } text ? text : code ?? type ?? "the Copilot session failed";
        if (type == "rate_limit" || status == 429 || (code is not null && LimitCodes.Contains(code, StringComparer.Ordinal)))
        {
            // Held: the reset may only become known from later events of the run (an auto-mode switch request).
            _refusal = new Refusal(code ?? type ?? ProviderErrors.RateLimit, detail);
            return true;
        }

        events.Add(new AgentError(ErrorCode(type, code, status), detail, IsRateLimitFallback: false));
        return true;
    }

    /// <summary>The daemon's error code for a failure: server-side trouble is transient, the rest as the CLI names it.</summary>
    private static string ErrorCode(string? type, string? code, int? status) => status switch
    {
        >= 500 and < 600 => "server_error",
        _ => code ?? type ?? "error",
    };

    private bool ParseQuotaObservation(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice quotaId = default;
        double? remaining = null;
        long? resetMs = null;
        var denied = false;
        var isObject = true;
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("data"u8))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                isObject = false;
                reader.Skip();
                continue;
            }

            while (NextProperty(ref reader))
            {
                if (!reader.ValueTextEquals("observation"u8))
                {
                    reader.Skip();
                    continue;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("quotaId"u8))
                    {
                        quotaId = ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("accessState"u8) || reader.ValueTextEquals("capacityState"u8))
                    {
                        reader.Read();
                        denied |= reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("denied"u8) || reader.ValueTextEquals("exhausted"u8));
                    }
                    else if (reader.ValueTextEquals("budgetMetadata"u8))
                    {
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.StartObject)
                        {
                            reader.Skip();
                            continue;
                        }

                        while (NextProperty(ref reader))
                        {
                            if (reader.ValueTextEquals("remainingPercentage"u8))
                            {
                                reader.Read();
                                remaining = reader.TokenType == JsonTokenType.Number ? reader.GetDouble() : null;
                            }
                            else if (reader.ValueTextEquals("resetAtEpochMs"u8))
                            {
                                reader.Read();
                                resetMs = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ms) ? ms : null;
                            }
                            else
                            {
                                reader.Skip();
                            }
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }

        EnsureEnd(ref reader);
        if (!isObject)
        {
            return false;
        }

        DateTimeOffset? reset = resetMs is { } epochMs ? DateTimeOffset.FromUnixTimeMilliseconds(epochMs) : null;
        if (reset is { } at)
        {
            SeenReset(at);
        }

        if (denied && _refusal is null)
        {
            // The service says this account may not go on: a refusal even if no error line follows.
            _refusal = new Refusal(quotaId.ToStringOrNull(line), "Copilot quota " + (quotaId.ToStringOrNull(line) ?? "") + " is exhausted");
        }

        if (remaining is { } left && double.IsFinite(left))
        {
            var used = Math.Clamp(100 - left, 0, 100);
            events.Add(new UsageWindowsReported([new UsageWindow(quotaId.ToStringOrNull(line) ?? "quota", used, null, reset)]));
        }

        return true;
    }

    private bool ParseAutoModeSwitch(ref Utf8JsonReader reader, ReadOnlySpan<byte> line)
    {
        JsonStringSlice errorCode = default;
        double? retryAfter = null;
        DateTimeOffset? at = null;
        var isObject = true;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                at = reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var stamp) ? stamp : null;
                continue;
            }

            if (!reader.ValueTextEquals("data"u8))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                isObject = false;
                reader.Skip();
                continue;
            }

            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("retryAfterSeconds"u8))
                {
                    reader.Read();
                    retryAfter = reader.TokenType == JsonTokenType.Number ? reader.GetDouble() : null;
                }
                else if (reader.ValueTextEquals("errorCode"u8))
                {
                    errorCode = ReadString(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        EnsureEnd(ref reader);
        if (!isObject)
        {
            return false;
        }

        // The request follows a rate-limit refusal; in a run with nobody to approve the switch it is the refusal.
        _refusal ??= new Refusal(errorCode.ToStringOrNull(line) ?? ProviderErrors.RateLimit, "Copilot rate limit reached");
        if (retryAfter is { } seconds && double.IsFinite(seconds) && seconds > 0 && seconds < TimeSpan.FromDays(366).TotalSeconds)
        {
            SeenReset((at ?? _timeProvider.GetUtcNow()) + TimeSpan.FromSeconds(Math.Ceiling(seconds)));
        }

        return true;
    }

    private bool ParseResult(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events)
    {
        JsonStringSlice sessionId = default;
        int? exitCode = null;
        long? durationMs = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("sessionId"u8))
            {
                sessionId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("exitCode"u8))
            {
                reader.Read();
                exitCode = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var code) ? code : null;
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("sessionDurationMs"u8))
                    {
                        reader.Read();
                        durationMs = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ms) ? ms : null;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        ReportRefusal(events);
        var failed = exitCode is not 0 || _refusal is not null;
        _heldTurnEnd = new TurnEnded(
            failed,
            TokenUsage.Zero,
            null,
            sessionId.ToStringOrNull(line) ?? _sessionId,
            failed ? "error" : "success",
            _lastText,
            _turns,
            durationMs);
        return true;
    }

    private static bool SkipRest(ref Utf8JsonReader reader)
    {
        SkipToEnd(ref reader);
        return true;
    }

    private static void SkipToEnd(ref Utf8JsonReader reader)
    {
        while (NextProperty(ref reader))
        {
            reader.Skip();
        }

        EnsureEnd(ref reader);
    }

    private static JsonValueSlice Skipped(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return default;
    }

    private static bool IsBlank(ReadOnlySpan<byte> raw) => raw.Trim(" \t\r\n"u8).IsEmpty;

}
