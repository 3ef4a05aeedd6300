using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeOpenAiResponses;

/// <summary>One request the fake received, with the parts of a Responses request parsed for assertions.</summary>
public sealed record ResponsesRequest(int Sequence, string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public DateTimeOffset ReceivedAt { get; init; }

    public JsonObject? Json { get; } = TryParse(Body);

    /// <summary>
    /// Codex's thread id, sent as the <c>session-id</c> header on every call and the same again after
    /// <c>codex exec resume</c>: the proof that a run continued the same conversation.
    /// </summary>
    public string? SessionId => Headers.GetValueOrDefault("session-id");

    public bool IsResponses => Method == "POST" && Path == "/v1/responses";

    public IReadOnlyList<JsonObject> Input => Json?["input"] is JsonArray input ? input.OfType<JsonObject>().ToList() : [];

    /// <summary>Every text of user messages in the conversation, in order (the environment context included).</summary>
    public IEnumerable<string> UserTexts => Texts("user");

    /// <summary>Every text of developer messages (Codex's instructions and ours).</summary>
    public IEnumerable<string> DeveloperTexts => Texts("developer");

    /// <summary>The outputs of earlier tool calls the request carries, in order.</summary>
    public IEnumerable<string> ToolOutputs => Input.Where(i => (string?)i["type"] == "function_call_output").Select(i => i["output"]?.ToString() ?? "");

    /// <summary>
    /// How many model responses the conversation already holds: runs of consecutive model items (reasoning, assistant
    /// messages, function calls). A call rejected by a rate limit leaves none, so it is asked again as the same step.
    /// </summary>
    public int ResponsesSoFar
    {
        get
        {
            var count = 0;
            var inResponse = false;
            foreach (var item in Input)
            {
                var type = (string?)item["type"];
                var fromModel = type is "reasoning" or "function_call" || (type == "message" && (string?)item["role"] == "assistant");
                if (fromModel && !inResponse)
                {
                    count++;
                }

                inResponse = fromModel;
            }

            return count;
        }
    }

    public override string ToString() => $"#{Sequence} {Method} {Path} session={SessionId} step={ResponsesSoFar}";

    private IEnumerable<string> Texts(string role) =>
        Input.Where(i => (string?)i["type"] == "message" && (string?)i["role"] == role)
            .SelectMany(i => i["content"] is JsonArray content ? content.OfType<JsonObject>() : [])
            .Select(c => (string?)c["text"])
            .OfType<string>();

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
