namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>
/// Token counts reported for one scripted reply: input in <c>message_start</c>, output in
/// <c>message_delta</c>. The CLI sums them over the turns of a run into <c>result.usage</c>.
/// </summary>
public sealed record FakeUsage(int InputTokens, int OutputTokens, int CacheReadInputTokens = 0, int CacheCreationInputTokens = 0)
{
    public static FakeUsage Default { get; } = new(10, 5);
}
