using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeOpenAiResponses;

/// <summary>
/// What the fake Responses API answers to one model call. Build them with the static factories; <see cref="Headers"/>
/// adds response headers (Codex reads <c>x-codex-primary-*</c> / <c>x-codex-secondary-*</c> into its usage windows).
/// </summary>
public abstract record ResponsesReply
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>A final answer: one assistant message.</summary>
    public static ResponsesOutputReply Text(string text) => new([ResponsesItem.Message(text)], ResponsesUsage.Default);

    /// <summary>
    /// A shell call: Codex's <c>exec_command</c> tool with <c>{"cmd": …}</c>, which it runs in its working directory; with
    /// <paramref name="text"/> an assistant message before it, with <paramref name="reasoning"/> a reasoning summary first.
    /// </summary>
    public static ResponsesOutputReply Command(string command, string? text = null, string? reasoning = null)
    {
        var items = new List<ResponsesItem>();
        if (reasoning is not null)
        {
            items.Add(ResponsesItem.Reasoning(reasoning));
        }

        if (text is not null)
        {
            items.Add(ResponsesItem.Message(text));
        }

        items.Add(ResponsesItem.ExecCommand(command));
        return new ResponsesOutputReply(items, ResponsesUsage.Default);
    }

    /// <summary>
    /// The usage limit as ChatGPT plans meet it: 429 with <c>{"error":{"type":"usage_limit_reached","resets_at":EPOCH}}</c>
    /// and the window headers, the primary window used up (resetting at <paramref name="resetsAt"/>). Codex does not retry it.
    /// <paramref name="secondaryResetsAt"/>: the secondary window is used up too and resets then; else it is at 20 %.
    /// <paramref name="withWindowHeaders"/> false: only the body says when (Codex then records no windows).
    /// </summary>
    public static ResponsesErrorReply UsageLimit(DateTimeOffset resetsAt, DateTimeOffset? secondaryResetsAt = null, bool withWindowHeaders = true)
    {
        var body = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["type"] = "usage_limit_reached",
                ["message"] = "The usage limit has been reached",
                ["plan_type"] = "plus",
                ["resets_at"] = resetsAt.ToUnixTimeSeconds(),
            },
        };
        var headers = new Dictionary<string, string>();
        if (withWindowHeaders)
        {
            headers["x-codex-primary-used-percent"] = "100";
            headers["x-codex-primary-window-minutes"] = "300";
            headers["x-codex-primary-reset-at"] = Epoch(resetsAt);
            headers["x-codex-secondary-used-percent"] = secondaryResetsAt is null ? "20" : "100";
            headers["x-codex-secondary-window-minutes"] = "10080";
            headers["x-codex-secondary-reset-at"] = Epoch(secondaryResetsAt ?? resetsAt.AddDays(3));
        }

        return new ResponsesErrorReply(429, body) { Headers = headers };
    }

    /// <summary>Headers of a successful reply that tell the usage windows (percent used, length, reset).</summary>
    public static IReadOnlyDictionary<string, string> WindowHeaders(double primaryPercent, DateTimeOffset primaryReset, double secondaryPercent, DateTimeOffset secondaryReset) =>
        new Dictionary<string, string>
        {
            ["x-codex-primary-used-percent"] = primaryPercent.ToString(CultureInfo.InvariantCulture),
            ["x-codex-primary-window-minutes"] = "300",
            ["x-codex-primary-reset-at"] = Epoch(primaryReset),
            ["x-codex-secondary-used-percent"] = secondaryPercent.ToString(CultureInfo.InvariantCulture),
            ["x-codex-secondary-window-minutes"] = "10080",
            ["x-codex-secondary-reset-at"] = Epoch(secondaryReset),
        };

    /// <summary>An API error with an OpenAI error body (a plain 429 is retried by Codex, then given up).</summary>
    public static ResponsesErrorReply Error(int statusCode, string type, string message) =>
        new(statusCode, new JsonObject { ["error"] = new JsonObject { ["type"] = type, ["message"] = message } });

    private static string Epoch(DateTimeOffset instant) => instant.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}

/// <summary>A successful response streamed as SSE: its output items, then <c>response.completed</c> with the usage.</summary>
public sealed record ResponsesOutputReply(IReadOnlyList<ResponsesItem> Items, ResponsesUsage Usage) : ResponsesReply;

/// <summary>An error status with a JSON body.</summary>
public sealed record ResponsesErrorReply(int StatusCode, JsonObject Body) : ResponsesReply;

/// <summary>Token counts of one response (OpenAI semantics: input includes cached, output includes reasoning).</summary>
public sealed record ResponsesUsage(long InputTokens, long CachedTokens, long OutputTokens, long ReasoningTokens)
{
    public static ResponsesUsage Default { get; } = new(100, 30, 20, 5);
}

/// <summary>One output item of a response.</summary>
public sealed record ResponsesItem(JsonObject Json)
{
    public static ResponsesItem Message(string text) => new(new JsonObject
    {
        ["type"] = "message",
        ["role"] = "assistant",
        ["id"] = "msg_" + Guid.NewGuid().ToString("N")[..16],
        ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() }),
    });

    public static ResponsesItem Reasoning(string summary) => new(new JsonObject
    {
        ["type"] = "reasoning",
        ["id"] = "rs_" + Guid.NewGuid().ToString("N")[..16],
        ["summary"] = new JsonArray(new JsonObject { ["type"] = "summary_text", ["text"] = summary }),
    });

    public static ResponsesItem ExecCommand(string command)
    {
        var id = Guid.NewGuid().ToString("N")[..16];
        return new(new JsonObject
        {
            ["type"] = "function_call",
            ["id"] = "fc_" + id,
            ["call_id"] = "call_" + id,
            ["name"] = "exec_command",
            ["arguments"] = new JsonObject { ["cmd"] = command }.ToJsonString(),
        });
    }
}
