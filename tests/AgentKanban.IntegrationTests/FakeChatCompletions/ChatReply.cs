namespace AgentKanban.IntegrationTests.FakeChatCompletions;

/// <summary>Tokens one fake completion reports in its usage chunk (OpenAI semantics: the prompt count includes the cached part).</summary>
public sealed record ChatUsage(int PromptTokens, int CompletionTokens, int CachedTokens)
{
    public static ChatUsage Default { get; } = new(100, 7, 40);
}

/// <summary>What the fake Chat Completions API answers to one call.</summary>
public abstract record ChatReply
{
    /// <summary>A final answer: streamed text, <c>finish_reason: stop</c>.</summary>
    public static ChatTextReply Text(string text) => new(text, ChatUsage.Default);

    /// <summary>A call of the CLI's <c>bash</c> tool with <c>{"command": …}</c>, after optional text.</summary>
    public static ChatToolReply Bash(string? text, string command) =>
        new(text, "call_" + Guid.NewGuid().ToString("N")[..16], "bash", command, ChatUsage.Default);

    /// <summary>HTTP 429 with a <c>retry-after</c> header (seconds; 0 keeps the CLI's own retries short).</summary>
    public static ChatRateLimitedReply RateLimited(int retryAfterSeconds = 0) => new(retryAfterSeconds);
}

public sealed record ChatTextReply(string Content, ChatUsage Usage) : ChatReply;

public sealed record ChatToolReply(string? Content, string CallId, string Tool, string Command, ChatUsage Usage) : ChatReply;

public sealed record ChatRateLimitedReply(int RetryAfterSeconds) : ChatReply;
