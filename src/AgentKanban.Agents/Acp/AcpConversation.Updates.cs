using System.Text;
using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Acp;

// session/update notifications while a prompt runs, and the prompt's result.
public sealed partial class AcpConversation
{
    private readonly StringBuilder _message = new();
    private readonly StringBuilder _thought = new();
    private readonly Dictionary<string, ToolCall> _tools = new(StringComparer.Ordinal);
    private bool _turnOpen;
    private bool _toolsSeen;

    private enum UpdateKind
    {
        Other,
        MessageChunk,
        ThoughtChunk,
        ToolCall,
        ToolCallUpdate,
    }

    /// <summary>A tool call seen in the turn: its name, and whether its <see cref="ToolUseBlock"/> went out already.</summary>
    private sealed class ToolCall(string name)
    {
        public string Name { get; set; } = name;

        public bool Reported { get; set; }
    }

    private LineParseResult OnNotification(in AcpJsonRpc message, List<AgentEvent> events)
    {
        // Updates before the prompt (available commands, or the history a session/load replays) are not this run's work.
        if (!message.MethodIs("session/update"u8) || Phase != AcpPhase.Prompting || !message.Params.HasValue)
        {
            return LineParseResult.Ignore(LineReason.NothingToReport);
        }

        var span = message.Params.Span(message.Line);
        var reader = new Utf8JsonReader(span, AcpJsonRpc.ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUpdate = reader.ValueTextEquals("update"u8);
            reader.Read();
            if (isUpdate && reader.TokenType == JsonTokenType.StartObject)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                return OnUpdate(span[start..(int)reader.BytesConsumed], events);
            }

            reader.Skip();
        }

        return LineParseResult.Ignore(LineReason.NothingToReport);
    }

    private LineParseResult OnUpdate(ReadOnlySpan<byte> update, List<AgentEvent> events)
    {
        var reader = new Utf8JsonReader(update, AcpJsonRpc.ReaderOptions);
        reader.Read();
        var kind = UpdateKind.Other;
        JsonStringSlice toolCallId = default, title = default, toolKind = default, status = default, metaToolName = default;
        JsonValueSlice content = default, rawInput = default, rawOutput = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("sessionUpdate"u8))
            {
                reader.Read();
                kind = reader.TokenType != JsonTokenType.String ? UpdateKind.Other
                    : reader.ValueTextEquals("agent_message_chunk"u8) ? UpdateKind.MessageChunk
                    : reader.ValueTextEquals("agent_thought_chunk"u8) ? UpdateKind.ThoughtChunk
                    : reader.ValueTextEquals("tool_call"u8) ? UpdateKind.ToolCall
                    : reader.ValueTextEquals("tool_call_update"u8) ? UpdateKind.ToolCallUpdate
                    : UpdateKind.Other;
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                content = JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else if (reader.ValueTextEquals("toolCallId"u8))
            {
                toolCallId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("title"u8))
            {
                title = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                toolKind = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                status = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("rawInput"u8))
            {
                reader.Read();
                rawInput = reader.TokenType == JsonTokenType.Null ? default : JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else if (reader.ValueTextEquals("rawOutput"u8))
            {
                reader.Read();
                rawOutput = reader.TokenType == JsonTokenType.Null ? default : JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else if (reader.ValueTextEquals("_meta"u8))
            {
                reader.Read();
                metaToolName = FindToolName(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (kind == UpdateKind.Other)
        {
            // usage_update, plan, available_commands_update, mode changes, …: nothing the daemon uses.
            return LineParseResult.Ignore(LineReason.NothingToReport);
        }

        OpenTurn(events);
        switch (kind)
        {
            case UpdateKind.MessageChunk:
                FlushThought(events);
                AppendText(update, content, _message);
                break;
            case UpdateKind.ThoughtChunk:
                FlushMessage(events);
                AppendText(update, content, _thought);
                break;
            case UpdateKind.ToolCall or UpdateKind.ToolCallUpdate:
                FlushMessage(events);
                FlushThought(events);
                if (toolCallId.HasValue)
                {
                    OnToolCall(update, kind == UpdateKind.ToolCall, toolCallId.Materialise(update), title, toolKind, metaToolName, status,
                        content, rawInput, rawOutput, events);
                }

                break;
        }

        return LineParseResult.Ignore(LineReason.NothingToReport);
    }

    private void OnToolCall(
        ReadOnlySpan<byte> update,
        bool isNew,
        string id,
        JsonStringSlice title,
        JsonStringSlice toolKind,
        JsonStringSlice metaToolName,
        JsonStringSlice status,
        JsonValueSlice content,
        JsonValueSlice rawInput,
        JsonValueSlice rawOutput,
        List<AgentEvent> events)
    {
        // The tool's own name where the agent says it (claude-agent-acp's _meta.claudeCode.toolName), else its title or kind.
        _toolsSeen = true;
        var name = metaToolName.ToStringOrNull(update) ?? title.ToStringOrNull(update) ?? toolKind.ToStringOrNull(update);
        if (!_tools.TryGetValue(id, out var tool))
        {
            tool = new ToolCall(name ?? "tool");
            _tools[id] = tool;
        }
        else if (isNew && name is not null)
        {
            tool.Name = name;
        }

        // Agents often announce a call before its input is known (claude-agent-acp sends rawInput {} first and the
        // input in an update): the call is reported once its input is there, or when it finishes without one.
        var hasInput = rawInput.HasValue && !IsEmptyObject(rawInput.Span(update));
        var finished = status.TryGetRaw(update, out var raw) && (raw.SequenceEqual("completed"u8) || raw.SequenceEqual("failed"u8));
        if (!tool.Reported && (hasInput || finished))
        {
            tool.Reported = true;
            events.Add(new ToolUseBlock(id, tool.Name, hasInput ? rawInput.Materialise(update) : "{}"));
        }

        if (finished)
        {
            var output = rawOutput.HasValue && IsString(rawOutput.Span(update)) ? StringValue(rawOutput.Span(update))
                : ContentText(update, content) is { Length: > 0 } text ? text
                : rawOutput.HasValue ? rawOutput.Materialise(update)
                : string.Empty;
            events.Add(new ToolResultBlock(id, output, raw.SequenceEqual("failed"u8)));
            _tools.Remove(id);
        }
    }

    private void EndTurn(in AcpJsonRpc message, RpcError? error, List<AgentEvent> events, List<byte[]> outgoing)
    {
        OpenTurn(events);
        FlushThought(events);
        if (error is { } failure)
        {
            FlushMessage(events);
            events.Add(AcpErrors.FromError(failure.Code, failure.Message, failure.Data, _time.GetUtcNow()));
            events.Add(new TurnEnded(true, TokenUsage.Zero, null, _sessionId, "error", failure.Message, null, null));
            Fail();
            return;
        }

        // copilot --acp answers a refused request with the 429 text as the turn's only message, and a normal end_turn.
        var closing = _message.ToString();
        var refused = !_toolsSeen && AcpErrors.IsRateLimitNotice(closing);
        if (refused)
        {
            _message.Clear();
            events.Add(AcpErrors.FromError(0, closing.Trim(), null, _time.GetUtcNow()));
        }
        else
        {
            FlushMessage(events);
        }

        var (stopReason, usage) = ReadPromptResult(message);
        var isError = refused || stopReason is not ("end_turn" or null);
        events.Add(new TurnEnded(isError, usage, null, _sessionId, stopReason ?? "end_turn", refused ? closing.Trim() : null, null, null));
        _turnOpen = false;
        _toolsSeen = false;
        if (isError)
        {
            Fail();
            return;
        }

        lock (_gate)
        {
            if (_queued.TryDequeue(out var next))
            {
                // A message written while the agent worked: the next turn of the same session.
                outgoing.Add(AcpMessages.Prompt(Send(), _sessionId!, next.Text));
                events.Add(new InputAccepted(next.Id));
                return;
            }

            Phase = AcpPhase.Done;
        }
    }

    private static (string? StopReason, TokenUsage Usage) ReadPromptResult(in AcpJsonRpc message)
    {
        if (!message.Result.HasValue)
        {
            return (null, TokenUsage.Zero);
        }

        var span = message.Result.Span(message.Line);
        var reader = new Utf8JsonReader(span, AcpJsonRpc.ReaderOptions);
        reader.Read();
        string? stopReason = null;
        var usage = TokenUsage.Zero;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("stopReason"u8))
            {
                reader.Read();
                stopReason = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                usage = ReadUsage(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (stopReason, usage);
    }

    /// <summary>The prompt's usage (<c>inputTokens</c>, <c>outputTokens</c>, <c>cachedReadTokens</c>, <c>cachedWriteTokens</c>): this turn's.</summary>
    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return TokenUsage.Zero;
        }

        long input = 0, output = 0, cacheRead = 0, cacheWrite = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ref var target = ref input;
            var known = true;
            if (reader.ValueTextEquals("inputTokens"u8))
            {
                target = ref input;
            }
            else if (reader.ValueTextEquals("outputTokens"u8))
            {
                target = ref output;
            }
            else if (reader.ValueTextEquals("cachedReadTokens"u8))
            {
                target = ref cacheRead;
            }
            else if (reader.ValueTextEquals("cachedWriteTokens"u8))
            {
                target = ref cacheWrite;
            }
            else
            {
                known = false;
            }

            reader.Read();
            if (known && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value > 0)
            {
                target = value;
            }
            else
            {
                reader.Skip();
            }
        }

        return new TokenUsage(input, output, cacheRead, cacheWrite);
    }

    private void OpenTurn(List<AgentEvent> events)
    {
        if (!_turnOpen)
        {
            _turnOpen = true;
            events.Add(TurnStarted.Instance);
        }
    }

    private void FlushMessage(List<AgentEvent> events)
    {
        if (_message.Length > 0)
        {
            var text = _message.ToString();
            _message.Clear();
            if (!string.IsNullOrWhiteSpace(text))
            {
                events.Add(new TextBlock(text));
            }
        }
    }

    private void FlushThought(List<AgentEvent> events)
    {
        if (_thought.Length > 0)
        {
            var text = _thought.ToString();
            _thought.Clear();
            if (!string.IsNullOrWhiteSpace(text))
            {
                events.Add(new ThinkingBlock(text));
            }
        }
    }

    /// <summary>The text of a content block (<c>{type:"text", text}</c>) appended to <paramref name="target"/>.</summary>
    private static void AppendText(ReadOnlySpan<byte> update, JsonValueSlice content, StringBuilder target)
    {
        if (!content.HasValue)
        {
            return;
        }

        var reader = new Utf8JsonReader(content.Span(update), AcpJsonRpc.ReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isText = reader.ValueTextEquals("text"u8);
            reader.Read();
            if (isText && reader.TokenType == JsonTokenType.String)
            {
                target.Append(reader.GetString());
            }
            else
            {
                reader.Skip();
            }
        }
    }

    /// <summary>The texts of a tool call's content list (<c>[{type:"content", content:{type:"text", text}}, …]</c>), joined.</summary>
    private static string? ContentText(ReadOnlySpan<byte> update, JsonValueSlice content)
    {
        if (!content.HasValue)
        {
            return null;
        }

        var reader = new Utf8JsonReader(content.Span(update), AcpJsonRpc.ReaderOptions);
        StringBuilder? text = null;
        var depth = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    depth++;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.PropertyName when reader.ValueTextEquals("text"u8):
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        text ??= new StringBuilder();
                        if (text.Length > 0)
                        {
                            text.Append('\n');
                        }

                        text.Append(reader.GetString());
                    }
                    else
                    {
                        reader.Skip();
                    }

                    break;
            }

            if (depth == 0)
            {
                break;
            }
        }

        return text?.ToString();
    }

    /// <summary><c>_meta.claudeCode.toolName</c> (or any <c>toolName</c> under <c>_meta</c>); leaves the reader on the value's end.</summary>
    private static JsonStringSlice FindToolName(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return default;
        }

        JsonStringSlice found = default;
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("toolName"u8) && !found.HasValue)
            {
                reader.Read();
                found = JsonStringSlice.Capture(ref reader);
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
            }
        }

        return found;
    }

    private static JsonStringSlice ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        var slice = JsonStringSlice.Capture(ref reader);
        reader.Skip();
        return slice;
    }

    private static bool IsEmptyObject(ReadOnlySpan<byte> json)
    {
        var trimmed = json.Trim(" \t\r\n"u8);
        if (trimmed.Length < 2 || trimmed[0] != (byte)'{')
        {
            return false;
        }

        return trimmed[1..^1].Trim(" \t\r\n"u8).IsEmpty;
    }

    private static bool IsString(ReadOnlySpan<byte> json) => json.Length > 0 && json[0] == (byte)'"';

    private static string StringValue(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return reader.GetString() ?? string.Empty;
    }
}
