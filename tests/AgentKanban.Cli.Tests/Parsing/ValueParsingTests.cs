using AgentKanban.Cli.Parsing;

namespace AgentKanban.Cli.Tests.Parsing;

public sealed class ValueParsingTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("2h", 7200)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("1.5s", 1.5)]
    [InlineData("90", 90)]
    [InlineData("500ms", 0.5)]
    public void Durations_parse(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Fact]
    public void Zero_means_no_limit()
    {
        Assert.True(Durations.TryParse("0", out var duration));
        Assert.Null(duration);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5s")]
    [InlineData("5 m")]
    [InlineData("")]
    [InlineData("m5")]
    public void Bad_durations_are_refused(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData("2025-06-01T09:00:00Z")]
    [InlineData("2025-06-01T09:00Z")]
    [InlineData("2025-06-01T09:00:00.123+02:00")]
    [InlineData("2025-06-01T09:00:00-0500")]
    public void Timestamps_with_a_zone_parse(string text) => Assert.True(Timestamps.TryParse(text, out _));

    [Theory]
    [InlineData("2025-06-01T09:00:00")]
    [InlineData("2025-06-01")]
    [InlineData("tomorrow")]
    [InlineData("2025-13-01T09:00:00Z")]
    public void Timestamps_without_a_zone_or_invalid_are_refused(string text) => Assert.False(Timestamps.TryParse(text, out _));

    [Fact]
    public void Lists_split_on_commas_and_trim()
    {
        Assert.Equal(["a", "b", "c"], CommonOptions.SplitList(" a, b,,c "));
        Assert.Empty(CommonOptions.SplitList(""));
    }
}
