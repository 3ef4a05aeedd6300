using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Codex;

/// <summary>
/// Token counts as Codex reports them (<c>turn.completed.usage</c>, <c>token_count.info.total_token_usage</c>): OpenAI
/// semantics, where <see cref="Input"/> includes the cached part and <see cref="Output"/> includes the reasoning part.
/// </summary>
public readonly record struct CodexUsage(long Input, long CachedInput, long CacheWrite, long Output, long Reasoning)
{
    /// <summary>What was used since <paramref name="earlier"/> (a running total taken before); never negative.</summary>
    public CodexUsage Since(CodexUsage earlier) => new(
        Math.Max(0, Input - earlier.Input),
        Math.Max(0, CachedInput - earlier.CachedInput),
        Math.Max(0, CacheWrite - earlier.CacheWrite),
        Math.Max(0, Output - earlier.Output),
        Math.Max(0, Reasoning - earlier.Reasoning));

    /// <summary>
    /// In the board's terms, where cache reads are counted apart from input: input without its cached part, cached
    /// input as cache reads, cache writes as cache creation; output as reported (it already contains the reasoning).
    /// </summary>
    public TokenUsage ToTokenUsage() => new(Math.Max(0, Input - CachedInput), Output, CachedInput, CacheWrite);
}
