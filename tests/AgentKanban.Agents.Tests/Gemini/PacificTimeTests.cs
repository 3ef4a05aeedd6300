using AgentKanban.Agents.Gemini;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Agents.Tests.Gemini;

public sealed class PacificTimeTests
{
    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    public static TheoryData<string, DateTimeOffset, DateTimeOffset> Cases => new()
    {
        // Winter (PST, UTC−8): 07:48 local → 08:00 UTC the next day.
        { "winter morning", Utc(2026, 12, 7, 15, 48), Utc(2026, 12, 8, 8) },
        // Exactly midnight counts as passed: the next one, a day later.
        { "at midnight", Utc(2026, 12, 7, 8), Utc(2026, 12, 8, 8) },
        { "a second before midnight", Utc(2026, 12, 8, 7, 59).AddSeconds(59), Utc(2026, 12, 8, 8) },
        // Summer (PDT, UTC−7).
        { "summer", Utc(2026, 7, 1, 12), Utc(2026, 7, 2, 7) },
        // Spring forward on Sunday 2026-03-08: the evening before is PST, its midnight still PST…
        { "eve of spring forward", Utc(2026, 3, 8, 7, 30), Utc(2026, 3, 8, 8) },
        // …but from that Sunday morning on, the next midnight is PDT.
        { "day of spring forward", Utc(2026, 3, 8, 12), Utc(2026, 3, 9, 7) },
        { "just before the jump", Utc(2026, 3, 8, 9, 59), Utc(2026, 3, 9, 7) },
        // Fall back on Sunday 2026-11-01.
        { "eve of fall back", Utc(2026, 11, 1, 6), Utc(2026, 11, 1, 7) },
        { "day of fall back, in the repeated hour", Utc(2026, 11, 1, 9, 30), Utc(2026, 11, 2, 8) },
        { "day of fall back, afternoon", Utc(2026, 11, 1, 22), Utc(2026, 11, 2, 8) },
        // UTC's new year is still the old year in California.
        { "new year in UTC", Utc(2027, 1, 1, 3), Utc(2027, 1, 1, 8) },
        { "leap day", Utc(2028, 2, 29, 9), Utc(2028, 3, 1, 8) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Next_midnight_with_the_coded_rule(string what, DateTimeOffset now, DateTimeOffset expected)
    {
        var clock = new FakeTimeProvider(now);

        Assert.True(expected == PacificTime.NextMidnight(clock.GetUtcNow(), zone: null), what);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Next_midnight_with_the_systems_zone_data(string what, DateTimeOffset now, DateTimeOffset expected)
    {
        // This machine has tz data (the daemon uses it when present); the coded rule is for machines without.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");

        Assert.True(expected == PacificTime.NextMidnight(now, zone), what);
        Assert.True(expected == PacificTime.NextMidnight(now), what);
    }

    [Fact]
    public void The_coded_rule_agrees_with_the_zone_data_every_hour_from_2020_to_2036()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
        var mismatches = new List<string>();
        for (var at = Utc(2020, 1, 1, 0); at < Utc(2036, 1, 1, 0); at = at.AddMinutes(59))
        {
            if (PacificTime.RuleOffsetAt(at) != zone.GetUtcOffset(at) || PacificTime.NextMidnight(at, null) != PacificTime.NextMidnight(at, zone))
            {
                mismatches.Add(at.ToString("O"));
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void The_reset_is_always_after_now_and_within_a_day()
    {
        for (var at = Utc(2026, 1, 1, 0); at < Utc(2027, 1, 1, 0); at = at.AddMinutes(37))
        {
            var reset = PacificTime.NextMidnight(at, null);
            Assert.True(reset > at && reset - at <= TimeSpan.FromHours(25), at.ToString("O"));
        }
    }
}
