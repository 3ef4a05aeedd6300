namespace AgentKanban.Core.Events;

/// <summary>Token counts as providers report them; cache reads and cache writes are counted apart.</summary>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, long CacheReadTokens, long CacheCreationTokens)
{
    public static TokenUsage Zero => default;

    public bool IsZero => InputTokens == 0 && OutputTokens == 0 && CacheReadTokens == 0 && CacheCreationTokens == 0;

    public static TokenUsage operator +(TokenUsage left, TokenUsage right) => left.Add(right);

    public TokenUsage Add(TokenUsage other) => new(
        InputTokens + other.InputTokens,
        OutputTokens + other.OutputTokens,
        CacheReadTokens + other.CacheReadTokens,
        CacheCreationTokens + other.CacheCreationTokens);
}
