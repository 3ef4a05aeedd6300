using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeChatCompletions;

/// <summary>One request the fake received; for a chat call the conversation it carried, parsed for assertions.</summary>
public sealed record ChatRequest(int Sequence, DateTimeOffset ReceivedAt, string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The body as JSON, or null when it is not a JSON object.</summary>
    public JsonObject? Json { get; } = TryParse(Body);

    /// <summary>A model call (<c>POST /v1/chat/completions</c>).</summary>
    public bool IsChat => Method == "POST" && Path == "/v1/chat/completions";

    /// <summary>The <c>messages</c> array's objects.</summary>
    public IReadOnlyList<JsonObject> Messages => Json?["messages"] is JsonArray messages ? messages.OfType<JsonObject>().ToList() : [];

    /// <summary>Each message's role and its text (string content or the text parts of array content).</summary>
    public IEnumerable<(string Role, string Text)> Texts => Messages.Select(m => ((string?)m["role"] ?? "", TextOf(m["content"])));

    /// <summary>The text of every user message, in order (the CLI prefixes each with its own context tags).</summary>
    public IEnumerable<string> UserTexts => Texts.Where(t => t.Role == "user").Select(t => t.Text);

    /// <summary>Earlier assistant turns the request replays.</summary>
    public int AssistantTurns => Messages.Count(m => (string?)m["role"] == "assistant");

    /// <summary>The tool results (role <c>tool</c>) the request carries, in order.</summary>
    public IEnumerable<string> ToolResults => Messages.Where(m => (string?)m["role"] == "tool").Select(m => TextOf(m["content"]));

    /// <summary>The commands of the bash calls the request replays.</summary>
    public IEnumerable<string> ReplayedCommands => Messages
        .Where(m => (string?)m["role"] == "assistant" && m["tool_calls"] is JsonArray)
        .SelectMany(m => ((JsonArray)m["tool_calls"]!).OfType<JsonObject>())
        .Select(call => (string?)call["function"]?["arguments"] is { } args && JsonNode.Parse(args) is JsonObject input ? (string?)input["command"] ?? "" : "");

    public override string ToString() => $"#{Sequence} {Method} {Path} at {ReceivedAt:HH:mm:ss.fff} ({Messages.Count} messages)";

    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => (string?)p["text"] ?? "")),
        _ => "",
    };

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
