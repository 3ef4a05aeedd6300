using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeGemini;

/// <summary>One model call the fake Gemini API received, with the conversation it carries parsed for assertions.</summary>
public sealed record RecordedGeminiRequest(int Sequence, string Path, string Model, bool Streaming, string? ApiKey, string Body)
{
    public DateTimeOffset ReceivedAt { get; init; }

    public JsonObject? Json { get; } = TryParse(Body);

    /// <summary>The conversation: each content's role and parts, in order.</summary>
    public IReadOnlyList<(string Role, IReadOnlyList<JsonObject> Parts)> Contents =>
        Json?["contents"] is JsonArray contents
            ? contents.OfType<JsonObject>()
                .Select(c => ((string?)c["role"] ?? "", (IReadOnlyList<JsonObject>)(c["parts"] as JsonArray ?? []).OfType<JsonObject>().ToList()))
                .ToList()
            : [];

    /// <summary>Every text the user side of the conversation carries, in order.</summary>
    public IEnumerable<string> UserTexts => Contents.Where(c => c.Role == "user").SelectMany(c => c.Parts).Select(p => (string?)p["text"]).OfType<string>();

    /// <summary>The model content the CLI inserts on resume after a turn that ended without the model's answer.</summary>
    public const string InterruptedMarker = "[The previous response was interrupted before it completed.]";

    /// <summary>
    /// The model turns the conversation already holds (a resumed run replays them): runs of consecutive model contents,
    /// without the <see cref="InterruptedMarker"/> the CLI adds on resume, which the model never said.
    /// </summary>
    public int ModelTurns
    {
        get
        {
            var said = Contents.Where(c => !(c.Role == "model" && c.Parts.Count == 1 && (string?)c.Parts[0]["text"] == InterruptedMarker)).ToList();
            return said.Where((c, i) => c.Role == "model" && (i == 0 || said[i - 1].Role != "model")).Count();
        }
    }

    /// <summary>The shell commands of earlier model turns that the request replays, in order.</summary>
    public IEnumerable<string> ReplayedCommands => Contents.Where(c => c.Role == "model").SelectMany(c => c.Parts)
        .Select(p => (string?)p["functionCall"]?["args"]?["command"]).OfType<string>();

    /// <summary>The outputs of function calls the CLI sends back, in order.</summary>
    public IEnumerable<JsonObject> FunctionResponses => Contents.SelectMany(c => c.Parts).Select(p => p["functionResponse"]).OfType<JsonObject>();

    /// <summary>Every text of earlier model turns, in order.</summary>
    public IEnumerable<string> ModelTexts => Contents.Where(c => c.Role == "model").SelectMany(c => c.Parts).Select(p => (string?)p["text"]).OfType<string>();

    public override string ToString() => $"#{Sequence} {Path} at {ReceivedAt:HH:mm:ss.fff} with {Contents.Count} contents";

    private static JsonObject? TryParse(string body)
    {
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
