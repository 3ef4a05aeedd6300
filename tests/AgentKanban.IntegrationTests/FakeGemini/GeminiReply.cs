using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeGemini;

/// <summary>What the fake Gemini API answers to one model call. Build them with the static factories.</summary>
public abstract record GeminiReply
{
    /// <summary>A final text answer, streamed in a few chunks (the CLI prints each as a delta).</summary>
    public static GeminiModelReply Text(string text) => new(text, null);

    /// <summary>
    /// A <c>run_shell_command</c> call, optionally after some text; the CLI runs <paramref name="command"/> in its
    /// working directory and sends the output back as a <c>functionResponse</c>.
    /// </summary>
    public static GeminiModelReply Shell(string? text, string command) =>
        new(text, new JsonObject { ["name"] = "run_shell_command", ["args"] = new JsonObject { ["command"] = command } });

    /// <summary>A 429 <c>RESOURCE_EXHAUSTED</c> for a daily quota (a <c>…PerDay</c> quota id): the CLI fails at once, no time given.</summary>
    public static GeminiErrorReply DailyQuota() => Quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "250", retryDelay: null);

    /// <summary>
    /// A 429 for a per-minute quota with Google's "Please retry in Ns." and a <c>RetryInfo</c> of the same delay; under
    /// <c>maxAttempts: 1</c> the CLI gives up at once and names the delay.
    /// </summary>
    public static GeminiErrorReply RetryIn(TimeSpan delay) =>
        Quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "10", $"{(long)Math.Ceiling(delay.TotalSeconds)}s");

    /// <summary>A 429 <c>RESOURCE_EXHAUSTED</c> with no details and no time.</summary>
    public static GeminiErrorReply Exhausted() => new(429, new JsonObject
    {
        ["error"] = new JsonObject { ["code"] = 429, ["message"] = "Resource has been exhausted (e.g. check quota).", ["status"] = "RESOURCE_EXHAUSTED" },
    });

    private static GeminiErrorReply Quota(string quotaId, string limit, string? retryDelay)
    {
        var details = new JsonArray
        {
            new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
                ["violations"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        ["quotaId"] = quotaId,
                        ["quotaDimensions"] = new JsonObject { ["location"] = "global", ["model"] = "gemini-2.5-flash" },
                        ["quotaValue"] = limit,
                    },
                },
            },
        };
        var message = "You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: "
            + $"generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: {limit}";
        if (retryDelay is not null)
        {
            message += $"\nPlease retry in {retryDelay}.";
            details.Add(new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = retryDelay });
        }

        return new GeminiErrorReply(429, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = 429, ["message"] = message, ["status"] = "RESOURCE_EXHAUSTED", ["details"] = details },
        });
    }
}

/// <summary>A model turn: text (may be null), then at most one function call.</summary>
public sealed record GeminiModelReply(string? Content, JsonObject? FunctionCall) : GeminiReply
{
    public int PromptTokens { get; init; } = 120;

    public int OutputTokens { get; init; } = 15;

    public int CachedTokens { get; init; } = 20;
}

/// <summary>An HTTP error with Google's JSON error body.</summary>
public sealed record GeminiErrorReply(int StatusCode, JsonObject Body) : GeminiReply;
