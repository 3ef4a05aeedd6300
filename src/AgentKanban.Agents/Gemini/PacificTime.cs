namespace AgentKanban.Agents.Gemini;

/// <summary>
/// Pacific time (America/Los_Angeles), where Google's daily quotas start over at midnight. Uses the system's time-zone
/// data when it has the zone; without it (a machine with no tz database) the US daylight-saving rule in force since
/// 2007 is applied in code: UTC−8, and UTC−7 from the second Sunday of March, 02:00 local, to the first Sunday of
/// November, 02:00 local.
/// </summary>
public static class PacificTime
{
    private const string ZoneId = "America/Los_Angeles";

    private static readonly TimeSpan Standard = TimeSpan.FromHours(-8);
    private static readonly TimeSpan Daylight = TimeSpan.FromHours(-7);

    private static readonly Lazy<TimeZoneInfo?> SystemZone = new(FindZone);

    /// <summary>The first Pacific midnight strictly after <paramref name="now"/>, from the system's zone data when present.</summary>
    public static DateTimeOffset NextMidnight(DateTimeOffset now) => NextMidnight(now, SystemZone.Value);

    /// <summary>The first Pacific midnight strictly after <paramref name="now"/>; <paramref name="zone"/> null: the coded US rule.</summary>
    public static DateTimeOffset NextMidnight(DateTimeOffset now, TimeZoneInfo? zone)
    {
        var offsetNow = zone?.GetUtcOffset(now) ?? RuleOffsetAt(now);
        var tomorrow = now.ToOffset(offsetNow).Date.AddDays(1);

        // US transitions happen at 02:00 local, so midnight is never skipped or repeated: its offset is unambiguous.
        var offsetThen = zone?.GetUtcOffset(tomorrow) ?? RuleOffsetForLocal(tomorrow);
        return new DateTimeOffset(tomorrow, offsetThen).ToUniversalTime();
    }

    /// <summary>The Pacific offset at an instant by the coded US rule.</summary>
    public static TimeSpan RuleOffsetAt(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        var (start, end) = DaylightPeriodUtc(utc.Year);
        return utc >= start && utc < end ? Daylight : Standard;
    }

    /// <summary>The Pacific offset for a local wall-clock time by the coded US rule (only used for midnights).</summary>
    private static TimeSpan RuleOffsetForLocal(DateTime local)
    {
        var (start, end) = DaylightPeriodLocal(local.Year);
        return local >= start && local < end ? Daylight : Standard;
    }

    /// <summary>Daylight time in UTC: from 02:00 PST (10:00 UTC) to 02:00 PDT (09:00 UTC).</summary>
    private static (DateTime Start, DateTime End) DaylightPeriodUtc(int year)
    {
        var (start, end) = DaylightPeriodLocal(year);
        return (start - Standard, end - Daylight);
    }

    private static (DateTime Start, DateTime End) DaylightPeriodLocal(int year) =>
        (NthSunday(year, 3, 2).AddHours(2), NthSunday(year, 11, 1).AddHours(2));

    private static DateTime NthSunday(int year, int month, int n)
    {
        var first = new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var toSunday = ((int)DayOfWeek.Sunday - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(toSunday + (7 * (n - 1)));
    }

    private static TimeZoneInfo? FindZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(ZoneId);
        }
        catch (TimeZoneNotFoundException)
        {
            return null;
        }
        catch (InvalidTimeZoneException)
        {
            return null;
        }
    }
}
