using System.Text;
using System.Text.Json;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using static AgentKanban.Agents.Parsing.JsonLines;

namespace AgentKanban.Agents.Codex;

// Thread items (item.started / item.updated / item.completed), one shape for all: {"id","type",…fields of the type}.
public sealed partial class CodexJsonParser
{
    /// <summary>The tool names reported for Codex's own tools.</summary>
    public const string CommandTool = "command_execution";
    public const string FileChangeTool = "file_change";
    public const string WebSearchTool = "web_search";

    private enum ItemType
    {
        Other,
        AgentMessage,
        Reasoning,
        Command,
        FileChange,
        McpToolCall,
        WebSearch,
        TodoList,
        Error,
    }

    /// <summary>Where an item's fields sit in the line; only those the item's type uses are turned into strings.</summary>
    private struct ItemFields
    {
        public ItemType Type;
        public JsonStringSlice Id, Text, Status, Server, Tool, Message;
        public JsonValueSlice Command, Output, Changes, Arguments, Result, Error, Items, Query;
        public long? ExitCode;
    }

    private LineParseResult ParseItemEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, List<AgentEvent> events, EventType stage)
    {
        var item = default(ItemFields);
        var sawItem = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("item"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadItem(ref reader, ref item);
                    sawItem = true;
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        EnsureEnd(ref reader);
        if (!sawItem)
        {
            return LineParseResult.Skip(LineReason.NothingToReport, "item event without an item");
        }

        if (item.Type == ItemType.Error)
        {
            // Not fatal (e.g. a model missing from the bundled catalog): logged as a skipped line with its text.
            return LineParseResult.Skip(LineReason.NothingToReport, "non-fatal error item: " + (item.Message.ToStringOrNull(line) ?? "(no message)"));
        }

        var start = events.Count;
        OpenTurn(events);
        switch (item.Type)
        {
            case ItemType.AgentMessage when stage == EventType.ItemCompleted:
                _lastText = item.Text.Materialise(line);
                events.Add(new TextBlock(_lastText));
                break;
            case ItemType.Reasoning when stage == EventType.ItemCompleted:
                var thought = item.Text.Materialise(line);
                if (!string.IsNullOrWhiteSpace(thought))
                {
                    events.Add(new ThinkingBlock(thought));
                }

                break;
            case ItemType.TodoList when stage != EventType.ItemCompleted:
                // The plan as it stands; its completion repeats the last update.
                events.Add(new ThinkingBlock(RenderTodoList(item.Items.Span(line))));
                break;
            case ItemType.Command or ItemType.FileChange or ItemType.McpToolCall or ItemType.WebSearch:
                ToolItem(ref item, line, events, stage);
                break;
        }

        var count = events.Count - start;
        return count > 0 ? LineParseResult.Produced(count) : LineParseResult.Ignore(LineReason.NothingToReport);
    }

    /// <summary>A tool item: its use when it starts (or, if it was never seen starting, when it completes), its result when it completes.</summary>
    private void ToolItem(ref ItemFields item, ReadOnlySpan<byte> line, List<AgentEvent> events, EventType stage)
    {
        var id = item.Id.Materialise(line);
        if (stage != EventType.ItemCompleted)
        {
            if (_openTools.Add(id))
            {
                events.Add(ToolUse(ref item, id, line));
            }

            return;
        }

        if (!_openTools.Remove(id))
        {
            events.Add(ToolUse(ref item, id, line));
        }

        var failed = item.Status.TryGetRaw(line, out var status) && (status.SequenceEqual("failed"u8) || status.SequenceEqual("declined"u8));
        var output = item.Type switch
        {
            ItemType.Command => StringValue(item.Output.Span(line)),
            ItemType.FileChange => RenderChanges(item.Changes.Span(line)),
            ItemType.McpToolCall => McpOutput(ref item, line, ref failed),
            _ => StringValue(item.Query.Span(line)),
        };
        if (item.Type == ItemType.Command && item.ExitCode is { } code && code != 0)
        {
            failed = true;
        }

        events.Add(new ToolResultBlock(id, output, failed));
    }

    private static ToolUseBlock ToolUse(ref ItemFields item, string id, ReadOnlySpan<byte> line) => item.Type switch
    {
        ItemType.Command => new ToolUseBlock(id, CommandTool, WrapJson("command", item.Command.Span(line))),
        ItemType.FileChange => new ToolUseBlock(id, FileChangeTool, WrapJson("changes", item.Changes.Span(line))),
        ItemType.WebSearch => new ToolUseBlock(id, WebSearchTool, WrapJson("query", item.Query.Span(line))),
        _ => new ToolUseBlock(id, $"mcp__{item.Server.ToStringOrNull(line)}__{item.Tool.ToStringOrNull(line)}",
            item.Arguments.HasValue ? item.Arguments.Materialise(line) : "{}"),
    };

    private static string McpOutput(ref ItemFields item, ReadOnlySpan<byte> line, ref bool failed)
    {
        var error = item.Error.Span(line);
        if (!error.IsEmpty && !error.SequenceEqual("null"u8))
        {
            failed = true;
            return FieldText(error, "message"u8) ?? Encoding.UTF8.GetString(error);
        }

        return item.Result.HasValue ? ContentText(item.Result.Span(line)) : string.Empty;
    }

    private static void ReadItem(ref Utf8JsonReader reader, ref ItemFields item)
    {
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                item.Type = ReadItemType(ref reader);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                item.Id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                item.Text = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("command"u8))
            {
                item.Command = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("aggregated_output"u8))
            {
                item.Output = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("exit_code"u8))
            {
                reader.Read();
                item.ExitCode = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var code) ? code : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                item.Status = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("changes"u8))
            {
                item.Changes = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("server"u8))
            {
                item.Server = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("tool"u8))
            {
                item.Tool = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                item.Arguments = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                item.Result = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                item.Error = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("query"u8))
            {
                item.Query = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("items"u8))
            {
                item.Items = CaptureValue(ref reader);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                item.Message = ReadString(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }
    }

    private static JsonValueSlice CaptureValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        return JsonValueSlice.CaptureAndSkip(ref reader);
    }

    private static ItemType ReadItemType(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return ItemType.Other;
        }

        if (reader.ValueTextEquals("command_execution"u8))
        {
            return ItemType.Command;
        }

        if (reader.ValueTextEquals("agent_message"u8))
        {
            return ItemType.AgentMessage;
        }

        if (reader.ValueTextEquals("reasoning"u8))
        {
            return ItemType.Reasoning;
        }

        if (reader.ValueTextEquals("file_change"u8))
        {
            return ItemType.FileChange;
        }

        if (reader.ValueTextEquals("mcp_tool_call"u8))
        {
            return ItemType.McpToolCall;
        }

        if (reader.ValueTextEquals("web_search"u8))
        {
            return ItemType.WebSearch;
        }

        if (reader.ValueTextEquals("todo_list"u8))
        {
            return ItemType.TodoList;
        }

        return reader.ValueTextEquals("error"u8) ? ItemType.Error : ItemType.Other;
    }

    /// <summary>A JSON string value's text; anything else (null, a number) as empty.</summary>
    private static string StringValue(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty || raw[0] != (byte)'"')
        {
            return string.Empty;
        }

        var reader = new Utf8JsonReader(raw);
        reader.Read();
        return reader.GetString() ?? string.Empty;
    }

    /// <summary><c>[{"path":…,"kind":"add|update|delete"}]</c> as one line per change: "update src/a.cs".</summary>
    private static string RenderChanges(ReadOnlySpan<byte> array)
    {
        var builder = new StringBuilder();
        ForEachObject(array, ref builder, static (ref Utf8JsonReader reader, ref StringBuilder text) =>
        {
            string? path = null, kind = null;
            while (NextProperty(ref reader))
            {
                var isPath = reader.ValueTextEquals("path"u8);
                var isKind = reader.ValueTextEquals("kind"u8);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (isPath || isKind))
                {
                    if (isPath)
                    {
                        path = reader.GetString();
                    }
                    else
                    {
                        kind = reader.GetString();
                    }
                }

                reader.Skip();
            }

            if (path is not null)
            {
                Line(text, kind is null ? path : kind + " " + path);
            }
        });
        return builder.ToString();
    }

    /// <summary><c>[{"text":…,"completed":bool}]</c> as a checklist.</summary>
    private static string RenderTodoList(ReadOnlySpan<byte> array)
    {
        var builder = new StringBuilder();
        ForEachObject(array, ref builder, static (ref Utf8JsonReader reader, ref StringBuilder text) =>
        {
            string? step = null;
            var done = false;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    step = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("completed"u8))
                {
                    reader.Read();
                    done = reader.TokenType == JsonTokenType.True;
                }
                else
                {
                    reader.Read();
                }

                reader.Skip();
            }

            if (step is not null)
            {
                Line(text, (done ? "[x] " : "[ ] ") + step);
            }
        });
        return builder.ToString();
    }

    /// <summary>An MCP result's <c>content</c> blocks: their text parts, one per line; other kinds as a marker.</summary>
    private static string ContentText(ReadOnlySpan<byte> result)
    {
        var reader = new Utf8JsonReader(result, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return Encoding.UTF8.GetString(result);
        }

        var builder = new StringBuilder();
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("content"u8))
            {
                SkipValue(ref reader);
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                string? part = null, kind = null;
                while (NextProperty(ref reader))
                {
                    var isText = reader.ValueTextEquals("text"u8);
                    var isType = reader.ValueTextEquals("type"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && isText)
                    {
                        part = reader.GetString();
                    }
                    else if (reader.TokenType == JsonTokenType.String && isType)
                    {
                        kind = reader.GetString();
                    }

                    reader.Skip();
                }

                Line(builder, part ?? $"[{kind ?? "content"}]");
            }
        }

        return builder.ToString();
    }

    /// <summary>The string property <paramref name="name"/> of a JSON object, or null.</summary>
    private static string? FieldText(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (NextProperty(ref reader))
        {
            var wanted = reader.ValueTextEquals(name);
            reader.Read();
            if (wanted && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
        }

        return null;
    }

    private delegate void ObjectVisitor(ref Utf8JsonReader reader, ref StringBuilder builder);

    private static void ForEachObject(ReadOnlySpan<byte> array, ref StringBuilder builder, ObjectVisitor visit)
    {
        if (array.IsEmpty)
        {
            return;
        }

        var reader = new Utf8JsonReader(array, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                visit(ref reader, ref builder);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void Line(StringBuilder builder, string text)
    {
        if (builder.Length > 0)
        {
            builder.Append('\n');
        }

        builder.Append(text);
    }
}
