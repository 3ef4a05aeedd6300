using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.ClaudeCode;

/// <summary>What one CLI run produced: its exit code, every stdout line (stream-json) and stderr.</summary>
public sealed record ClaudeRunResult(int ExitCode, IReadOnlyList<string> StdoutLines, string Stderr)
{
    /// <summary>The stdout lines that parse as JSON objects, in order.</summary>
    public IReadOnlyList<JsonObject> Messages { get; } = Parse(StdoutLines);

    /// <summary>Messages whose <c>type</c> is the given one (<c>system</c>, <c>assistant</c>, <c>user</c>, <c>result</c>, <c>rate_limit_event</c>).</summary>
    public IEnumerable<JsonObject> OfType(string type) => Messages.Where(m => (string?)m["type"] == type);

    /// <summary>The content blocks of assistant (or user) messages, flattened in order.</summary>
    public IEnumerable<JsonObject> ContentBlocks(string messageType) =>
        OfType(messageType).SelectMany(m => m["message"]?["content"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>The closing <c>result</c> message.</summary>
    public JsonObject Result => OfType("result").LastOrDefault()
        ?? throw new InvalidOperationException($"The run printed no result message.\n{this}");

    public override string ToString() =>
        $"exit {ExitCode}\n--- stdout\n{string.Join('\n', StdoutLines)}\n--- stderr\n{Stderr}";

    private static List<JsonObject> Parse(IReadOnlyList<string> lines)
    {
        var parsed = new List<JsonObject>();
        foreach (var line in lines)
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject message)
                {
                    parsed.Add(message);
                }
            }
            catch (JsonException)
            {
                // Not every line has to be JSON (e.g. "No conversation found" on a bad --resume).
            }
        }

        return parsed;
    }
}
