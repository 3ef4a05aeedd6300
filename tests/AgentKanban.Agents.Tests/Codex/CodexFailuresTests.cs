using AgentKanban.Agents.Codex;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.Codex;

public sealed class CodexFailuresTests
{
    private static readonly DateTimeOffset Soon = DateTimeOffset.FromUnixTimeSeconds(1_900_000_500);
    private static readonly DateTimeOffset Later = DateTimeOffset.FromUnixTimeSeconds(1_900_600_000);

    public static TheoryData<string, UsageWindow[], DateTimeOffset?, string?> Windows => new()
    {
        { "only the primary is used up", [new("primary", 100, 300, Soon), new("secondary", 40, 10080, Later)], Soon, "primary" },
        { "both used up: the later reset", [new("primary", 100, 300, Soon), new("secondary", 100, 10080, Later)], Later, "secondary" },
        { "order does not matter", [new("secondary", 100.5, 10080, Later), new("primary", 100, 300, Soon)], Later, "secondary" },
        { "a window below 100 % never sets the reset, even a later one", [new("primary", 100, 300, Soon), new("secondary", 99.9, 10080, Later)], Soon, "primary" },
        { "none used up: no reset is guessed", [new("primary", 80, 300, Soon), new("secondary", 90, 10080, Later)], null, null },
        { "used up but no reset given", [new("primary", 100, 300, null)], null, null },
        { "no windows at all", [], null, null },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void A_usage_limit_waits_for_the_latest_reset_among_the_windows_used_up(string why, UsageWindow[] windows, DateTimeOffset? resetsAt, string? window)
    {
        var rejection = CodexFailures.Rejection(windows);

        Assert.True(resetsAt == rejection?.ResetsAt, why);
        Assert.Equal(window, rejection?.RateLimitType);
        if (rejection is not null)
        {
            Assert.Equal(RateLimitStatus.Rejected, rejection.Status);
        }
    }

    [Theory]
    [InlineData("You’ve hit your usage limit. Upgrade to Pro … or try again at Mar 17th, 2030 5:55 PM.", true, false)]
    [InlineData("exceeded retry limit, last status: 429 Too Many Requests", false, true)]
    [InlineData("exceeded retry limit, last status: 500 Internal Server Error", false, false)]
    [InlineData(null, false, false)]
    public void Failure_sentences_are_told_apart(string? message, bool usageLimit, bool tooManyRequests)
    {
        Assert.Equal(usageLimit, CodexFailures.MentionsUsageLimit(message));
        Assert.Equal(tooManyRequests, CodexFailures.IsTooManyRequests(message));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("Error: something else\n", null)]
    [InlineData("noise\nError: thread/resume: thread/resume failed: no rollout found for thread id X (code -32600)\nmore", "Error: thread/resume: thread/resume failed: no rollout found for thread id X (code -32600)")]
    public void A_missing_thread_is_read_from_stderr(string? stderr, string? expected) =>
        Assert.Equal(expected, CodexFailures.ThreadNotFound(stderr));
}
