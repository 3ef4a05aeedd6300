using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>
/// What the fake API answers to one model request. Build them with the static factories;
/// <see cref="Headers"/> adds response headers (for example <c>anthropic-ratelimit-unified-*</c>
/// on a successful reply, which the CLI turns into an <c>allowed</c>/<c>allowed_warning</c> event).
/// </summary>
public abstract record FakeReply
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>A final text answer (<c>stop_reason: end_turn</c>).</summary>
    public static FakeMessageReply Text(string text) => Message(new FakeTextBlock(text));

    /// <summary>A Bash tool call; the CLI runs <paramref name="command"/> in its working directory.</summary>
    public static FakeMessageReply Bash(string command) =>
        ToolUse("Bash", new JsonObject { ["command"] = command, ["description"] = "Run a command" });

    /// <summary>A call of any tool with the given input object.</summary>
    public static FakeMessageReply ToolUse(string name, JsonObject input) =>
        Message(new FakeToolUseBlock(NewToolUseId(), name, input));

    /// <summary>
    /// An assistant message made of the given blocks; the stop reason is <c>tool_use</c> when any block
    /// is a tool call, else <c>end_turn</c>.
    /// </summary>
    public static FakeMessageReply Message(params FakeBlock[] blocks) => new(blocks, FakeUsage.Default);

    /// <summary>
    /// A 429 the CLI treats as a subscription limit: <c>anthropic-ratelimit-unified-status: rejected</c>,
    /// <c>-reset</c> (epoch seconds) and <c>-representative-claim</c> (becomes <c>rateLimitType</c>).
    /// Observed on 2.1.330: without the claim or an overage status header the CLI does not treat a 429
    /// as a usage limit and retries it itself (<c>system/api_retry</c>, up to 10 times).
    /// </summary>
    public static FakeErrorReply RateLimited(
        DateTimeOffset resetsAt,
        string rateLimitType = "five_hour",
        string? overageStatus = null,
        DateTimeOffset? overageResetsAt = null)
    {
        var headers = new Dictionary<string, string>
        {
            ["anthropic-ratelimit-unified-status"] = "rejected",
            ["anthropic-ratelimit-unified-reset"] = EpochSeconds(resetsAt),
            ["anthropic-ratelimit-unified-representative-claim"] = rateLimitType,
        };
        if (overageStatus is not null)
        {
            headers["anthropic-ratelimit-unified-overage-status"] = overageStatus;
        }

        if (overageResetsAt is { } overageReset)
        {
            headers["anthropic-ratelimit-unified-overage-reset"] = EpochSeconds(overageReset);
        }

        return new FakeErrorReply(429, "rate_limit_error", "This request would exceed your account's rate limit.") { Headers = headers };
    }

    /// <summary>
    /// Headers for a successful reply that is close to a limit: per-window utilization, reset and the
    /// crossed threshold (<c>anthropic-ratelimit-unified-{window}-*</c>, window <c>5h</c>, <c>7d</c>, ...).
    /// Use as <c>FakeReply.Text("...") with { Headers = FakeReply.WarningHeaders(...) }</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> WarningHeaders(
        DateTimeOffset resetsAt, double utilization, string window = "5h", double surpassedThreshold = 0.75) =>
        new Dictionary<string, string>
        {
            ["anthropic-ratelimit-unified-status"] = "allowed_warning",
            ["anthropic-ratelimit-unified-reset"] = EpochSeconds(resetsAt),
            [$"anthropic-ratelimit-unified-{window}-utilization"] = utilization.ToString(CultureInfo.InvariantCulture),
            [$"anthropic-ratelimit-unified-{window}-reset"] = EpochSeconds(resetsAt),
            [$"anthropic-ratelimit-unified-{window}-surpassed-threshold"] = surpassedThreshold.ToString(CultureInfo.InvariantCulture),
        };

    /// <summary>A plain API error (status code and Anthropic error type, e.g. 500 <c>api_error</c>).</summary>
    public static FakeErrorReply Error(int statusCode, string errorType, string message) => new(statusCode, errorType, message);

    /// <summary>Never answers: the request stays open until the client gives up or the server stops.</summary>
    public static FakeHangReply Hang() => new();

    private static string NewToolUseId() => "toolu_" + Guid.NewGuid().ToString("N")[..24];

    private static string EpochSeconds(DateTimeOffset instant) =>
        instant.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}

/// <summary>A successful assistant message (SSE when the request streams, JSON otherwise).</summary>
public sealed record FakeMessageReply(IReadOnlyList<FakeBlock> Blocks, FakeUsage Usage) : FakeReply
{
    public string StopReason => Blocks.Any(b => b is FakeToolUseBlock) ? "tool_use" : "end_turn";
}

/// <summary>An error status with an Anthropic error body.</summary>
public sealed record FakeErrorReply(int StatusCode, string ErrorType, string ErrorMessage) : FakeReply;

/// <summary>A request that is never answered.</summary>
public sealed record FakeHangReply : FakeReply;
