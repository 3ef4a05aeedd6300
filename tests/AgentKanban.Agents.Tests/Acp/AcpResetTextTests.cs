using AgentKanban.Agents.Acp;

namespace AgentKanban.Agents.Tests.Acp;

/// <summary>Reading the reset Claude Code prints in its refusal ("resets 6pm (UTC)"): never early, null when unreadable.</summary>
public sealed class AcpResetTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 16, 5, 30, TimeSpan.Zero);

    [Theory]
    // The printed minute has no seconds: the reset read is one minute later, so it is never early.
    [InlineData("You've hit your session limit · resets 6pm (UTC)", "2026-12-07T18:01:00Z", "five_hour")]
    [InlineData("Internal error: You've hit your session limit · resets 6:40pm (UTC)", "2026-12-07T18:41:00Z", "five_hour")]
    [InlineData("You've hit your session limit · resets 4:05pm (UTC)", "2026-12-07T16:06:00Z", "five_hour")]
    // A time of day already past is tomorrow's.
    [InlineData("You've hit your session limit · resets 9am (UTC)", "2026-12-08T09:01:00Z", "five_hour")]
    [InlineData("You've hit your session limit · resets 12am (UTC)", "2026-12-08T00:01:00Z", "five_hour")]
    [InlineData("You've hit your weekly limit · resets Dec 9, 5pm (UTC)", "2026-12-09T17:01:00Z", "seven_day")]
    [InlineData("You've hit your Opus limit · resets Jan 2, 2027, 10:30am (UTC)", "2027-01-02T10:31:00Z", "seven_day_opus")]
    [InlineData("You've hit your weekly limit · resets Jan 2, 10am (UTC)", "2027-01-02T10:01:00Z", "seven_day")]
    // The agent's own time zone: 6pm in Berlin (UTC+1 in December) is 17:00 UTC.
    [InlineData("You've hit your session limit · resets 6pm (Europe/Berlin)", "2026-12-07T17:01:00Z", "five_hour")]
    public void A_printed_reset_is_read_in_its_time_zone(string text, string expected, string type)
    {
        var (resetsAt, window) = AcpResetText.Parse(text, Now);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), resetsAt);
        Assert.Equal(type, window);
    }

    [Theory]
    [InlineData("Internal error: API Error: Rate limit reached")]
    [InlineData("You've hit your session limit · resets 6pm")]
    [InlineData("You've hit your session limit · resets 6pm (Nowhere/Atlantis)")]
    [InlineData("You've hit your session limit · resets 13pm (UTC)")]
    [InlineData("You've hit your weekly limit · resets Feb 30, 5pm (UTC)")]
    public void No_usable_reset_gives_none(string text) =>
        Assert.Null(AcpResetText.Parse(text, Now).ResetsAt);
}
