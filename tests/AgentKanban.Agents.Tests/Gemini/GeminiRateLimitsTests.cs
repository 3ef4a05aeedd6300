using AgentKanban.Agents.Gemini;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Tests.Gemini;

public sealed class GeminiRateLimitsTests
{
    private static readonly DateTimeOffset Now = new(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, double?> Delays => new()
    {
        { "Please retry in 37.5s.", 38 },
        { "Please retry in 37.5s.\nSuggested retry after 37s.", 38 },
        { "Quota exceeded.\nSuggested retry after 60s.", 60 },
        { "Please retry in 900ms.", 1 },
        { "Please retry in 2s. Please retry in 45s.", 45 },
        { "Please retry in soon.", null },
        { "Please retry in 12 minutes.", null },
        { "Please retry in 99999999s.", null },
        { "nothing here", null },
    };

    [Theory]
    [MemberData(nameof(Delays))]
    public void Retry_delays_are_read_and_rounded_up(string message, double? seconds)
    {
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, GeminiRateLimits.LongestRetryDelay(message));
    }

    public static TheoryData<string, string> Kinds => new()
    {
        { "[API Error: You have exhausted your daily quota on this model.]\nPlease wait and try again later.", "daily" },
        // A daily quota wins over any delay in the same text: that would be an early reset.
        { "You have exhausted your daily quota on this model. Please retry in 30s.", "daily" },
        { "[API Error: You exceeded your current quota.\nPlease retry in 37.5s.\nSuggested retry after 37s.]", "delay" },
        { "[API Error: Resource has been exhausted (e.g. check quota).]", "fallback" },
        { "got status: 429 Too Many Requests. RESOURCE_EXHAUSTED", "fallback" },
        { "[API Error: We are currently experiencing high demand: capacity exceeded]", "fallback" },
        { "[API Error: got status: 500 Internal error]", "none" },
        { "", "none" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Messages_classify_as_the_limit_they_name(string message, string kind)
    {
        var result = GeminiRateLimits.Classify(message, Now);

        switch (kind)
        {
            case "daily":
                Assert.Equal(new RateLimitEvent(RateLimitStatus.Rejected, new DateTimeOffset(2026, 7, 2, 7, 0, 0, TimeSpan.Zero), "daily", false, null, null, null), result);
                break;
            case "delay":
                Assert.Equal(Now.AddSeconds(38), Assert.IsType<RateLimitEvent>(result).ResetsAt);
                break;
            case "fallback":
                Assert.Equal(new AgentError(ProviderErrors.RateLimit, message, true), result);
                break;
            default:
                Assert.Null(result);
                break;
        }
    }
}
