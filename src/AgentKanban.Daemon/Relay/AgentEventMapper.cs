using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;

namespace AgentKanban.Daemon.Relay;

/// <summary>One agent event in its wire shape (not numbered yet) and a rough size, for the batch byte budget.</summary>
internal readonly record struct MappedAgentEvent(AgentEventDto Event, int ApproxBytes);

/// <summary>
/// Maps the runtime-neutral <see cref="AgentEvent"/> model to the relayed wire shape (<see cref="AgentEventDto"/>).
/// Big payloads are cut so one event stays small and a batch fits the server's body limit: tool results and tool
/// inputs to <see cref="MaxContentChars"/>, text and thinking to <see cref="MaxTextChars"/>.
/// </summary>
internal static class AgentEventMapper
{
    public const int MaxContentChars = 16 * 1024;
    public const int MaxTextChars = 32 * 1024;

    private const int Overhead = 96;
    private static readonly ContractsJsonContext Json = ContractsJsonContext.Default;
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The wire event, or null for what the live view does not show (the conversation's start).</summary>
    public static MappedAgentEvent? Map(AgentEvent agentEvent, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(agentEvent);
        return agentEvent switch
        {
            TurnStarted => Of(AgentEventKinds.TurnStarted, at, EmptyObject, 0),
            TextBlock text => Text(AgentEventKinds.Text, text.Text, at),
            ThinkingBlock thinking => Text(AgentEventKinds.Thinking, thinking.Text, at),
            ToolUseBlock tool => ToolUse(tool, at),
            ToolResultBlock result => ToolResult(result, at),
            TurnEnded turn => Of(AgentEventKinds.TurnEnded, at, JsonSerializer.SerializeToElement(
                new AgentTurnEndedData(turn.Usage.InputTokens, turn.Usage.OutputTokens, turn.Usage.CacheReadTokens,
                    turn.Usage.CacheCreationTokens, turn.CostUsd), Json.AgentTurnEndedData), 64),
            RateLimitEvent limit => Of(AgentEventKinds.RateLimit, at, JsonSerializer.SerializeToElement(
                new AgentRateLimitData(Status(limit.Status), limit.ResetsAt, limit.RateLimitType,
                    limit.OverageStatus is { } overage ? Status(overage) : null, limit.OverageResetsAt), Json.AgentRateLimitData), 96),
            AgentError error => Of(AgentEventKinds.Error, at, JsonSerializer.SerializeToElement(
                new AgentErrorData(error.Code, Cut(error.Detail, MaxTextChars, out _)), Json.AgentErrorData), Math.Min(error.Detail.Length, MaxTextChars)),
            _ => null,
        };
    }

    /// <summary>The wire name of a rate-limit status.</summary>
    public static string Status(RateLimitStatus status) => status switch
    {
        RateLimitStatus.Allowed => "allowed",
        RateLimitStatus.AllowedWarning => "allowed_warning",
        RateLimitStatus.Rejected => "rejected",
        _ => "unknown",
    };

    private static MappedAgentEvent Text(string kind, string text, DateTimeOffset at)
    {
        var cut = Cut(text, MaxTextChars, out _);
        return Of(kind, at, JsonSerializer.SerializeToElement(new AgentTextData(cut), Json.AgentTextData), cut.Length);
    }

    private static MappedAgentEvent ToolUse(ToolUseBlock tool, DateTimeOffset at)
    {
        // A tool input can be a whole file (Write): beyond the limit a readable preview replaces the full JSON.
        var input = tool.InputJson.Length > MaxContentChars
            ? Build(w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("truncated", true);
                w.WriteString("preview", Cut(tool.InputJson, MaxContentChars, out _));
                w.WriteEndObject();
            })
            : ParseOrString(tool.InputJson);
        return Of(AgentEventKinds.ToolUse, at, JsonSerializer.SerializeToElement(new AgentToolUseData(tool.Id, tool.Name, input), Json.AgentToolUseData),
            Math.Min(tool.InputJson.Length, MaxContentChars) + tool.Name.Length + tool.Id.Length);
    }

    private static MappedAgentEvent ToolResult(ToolResultBlock result, DateTimeOffset at)
    {
        var content = Cut(result.Output, MaxContentChars, out var truncated);
        return Of(AgentEventKinds.ToolResult, at, JsonSerializer.SerializeToElement(
            new AgentToolResultData(result.ToolUseId, content, result.IsError, truncated), Json.AgentToolResultData), content.Length + result.ToolUseId.Length);
    }

    private static MappedAgentEvent Of(string kind, DateTimeOffset at, JsonElement data, int payloadChars) =>
        new(new AgentEventDto { Kind = kind, At = at, Data = data }, Overhead + payloadChars);

    private static JsonElement Build(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>The tool input as JSON; a runtime that sent something unparsable gets it relayed as a string.</summary>
    private static JsonElement ParseOrString(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.Length == 0 ? "{}" : json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Build(w => w.WriteStringValue(json));
        }
    }

    private static string Cut(string text, int max, out bool truncated)
    {
        truncated = text.Length > max;
        if (!truncated)
        {
            return text;
        }

        // Never split a surrogate pair: the server refuses invalid Unicode.
        var end = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return text[..end];
    }
}
