using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>
/// One entry of a request's <c>messages</c> array. The CLI (2.1.330) sends roles <c>user</c>,
/// <c>assistant</c> and also <c>system</c> (environment notes in the middle of the conversation);
/// content is a string or an array of blocks, normalised here to blocks.
/// </summary>
public sealed record RecordedMessage(string Role, IReadOnlyList<JsonObject> Blocks)
{
    /// <summary>The texts of this message's text blocks, in order.</summary>
    public IEnumerable<string> Texts =>
        Blocks.Where(b => Type(b) == "text").Select(b => (string?)b["text"] ?? "");

    /// <summary>The blocks of the given type (<c>text</c>, <c>thinking</c>, <c>tool_use</c>, <c>tool_result</c>).</summary>
    public IEnumerable<JsonObject> BlocksOfType(string type) => Blocks.Where(b => Type(b) == type);

    internal static RecordedMessage Parse(JsonObject message)
    {
        var role = (string?)message["role"] ?? "";
        var blocks = message["content"] switch
        {
            JsonArray array => array.OfType<JsonObject>().ToList(),
            JsonValue value when value.TryGetValue<string>(out var text) => [new JsonObject { ["type"] = "text", ["text"] = text }],
            _ => new List<JsonObject>(),
        };
        return new RecordedMessage(role, blocks);
    }

    private static string? Type(JsonObject block) => (string?)block["type"];
}
