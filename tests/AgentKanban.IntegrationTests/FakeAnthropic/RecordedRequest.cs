using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>
/// One request the fake API received, with the parts of a Messages request parsed for assertions.
/// Headers are keyed case-insensitively.
/// </summary>
public sealed record RecordedRequest(
    int Sequence,
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    string Body)
{
    /// <summary>When the fake API received it.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The request body as JSON, or null when it is not a JSON object.</summary>
    public JsonObject? Json { get; } = TryParse(Body);

    /// <summary>The CLI's own session id: the id given with <c>--session-id</c>, the same again on <c>--resume</c>.</summary>
    public string? SessionId => Headers.GetValueOrDefault("x-claude-code-session-id");

    /// <summary>A model call: <c>POST /v1/messages</c> (the CLI adds <c>?beta=true</c>).</summary>
    public bool IsMessages => Method == "POST" && Path == "/v1/messages";

    public bool IsStreaming => (bool?)Json?["stream"] ?? false;

    public string? Model => (string?)Json?["model"];

    /// <summary>
    /// True when the request offers tools. Every agent-loop call of the CLI carries tools; a call without
    /// them is auxiliary (title/topic helpers), which the fake answers without consuming the script.
    /// </summary>
    public bool HasTools => Json?["tools"] is JsonArray { Count: > 0 };

    public IReadOnlyList<RecordedMessage> Messages =>
        Json?["messages"] is JsonArray messages
            ? messages.OfType<JsonObject>().Select(RecordedMessage.Parse).ToList()
            : [];

    /// <summary>Every text the user side of the conversation carries (user messages only), in order.</summary>
    public IEnumerable<string> UserTexts => Messages.Where(m => m.Role == "user").SelectMany(m => m.Texts);

    /// <summary>The latest user text: for a fresh run the prompt, for a resumed run the resume prompt.</summary>
    public string? LastUserText => UserTexts.LastOrDefault();

    /// <summary>Tool results the CLI sends back (blocks of type <c>tool_result</c>), in order.</summary>
    public IEnumerable<JsonObject> ToolResults => Messages.SelectMany(m => m.BlocksOfType("tool_result"));

    /// <summary>Tool calls of earlier assistant turns that the request replays, in order.</summary>
    public IEnumerable<JsonObject> ToolUses => Messages.SelectMany(m => m.BlocksOfType("tool_use"));

    public override string ToString() => $"#{Sequence} {Method} {Path}{Query} session={SessionId}";

    private static JsonObject? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
