using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// The reset time in Claude Code's own refusal text, which claude-agent-acp passes on as the error message:
/// "You've hit your session limit · resets 6pm (UTC)", "… resets 6:40pm (Europe/Berlin)", "… weekly limit · resets
/// Dec 9, 5pm (UTC)" (a year is added when it differs). Claude Code prints the minute only when it is not zero and
/// never the seconds, in the agent's time zone, named in brackets. The reset read here is one minute after the printed
/// minute, so it is never early; text without a time zone this machine knows gives no reset.
/// </summary>
public static partial class AcpResetText
{
    /// <summary>The reset and window (<c>five_hour</c>, <c>seven_day</c>, …) the text names; null reset when it names none usable.</summary>
    public static (DateTimeOffset? ResetsAt, string? RateLimitType) Parse(string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        var type = WindowPattern().Match(text) is { Success: true } window
            ? window.Groups[1].Value.ToLowerInvariant() switch
            {
                "session" => "five_hour",
                "weekly" => "seven_day",
                "opus" => "seven_day_opus",
                "sonnet" => "seven_day_sonnet",
                _ => null,
            }
            : null;
        var match = ResetPattern().Match(text);
        if (!match.Success || !TryZone(match.Groups["tz"].Value, out var zone))
        {
            return (null, type);
        }

        var hour = int.Parse(match.Groups["hour"].Value, CultureInfo.InvariantCulture);
        var minute = match.Groups["min"].Success ? int.Parse(match.Groups["min"].Value, CultureInfo.InvariantCulture) : 0;
        if (hour is < 1 or > 12 || minute > 59)
        {
            return (null, type);
        }

        hour = hour % 12 + (match.Groups["ampm"].Value.Equals("pm", StringComparison.OrdinalIgnoreCase) ? 12 : 0);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        DateTime candidate;
        if (match.Groups["mon"].Success)
        {
            if (!DateTime.TryParseExact(match.Groups["mon"].Value, "MMM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
            {
                return (null, type);
            }

            var day = int.Parse(match.Groups["day"].Value, CultureInfo.InvariantCulture);
            var year = match.Groups["year"].Success ? int.Parse(match.Groups["year"].Value, CultureInfo.InvariantCulture) : local.Year;
            if (day > DateTime.DaysInMonth(year, month.Month))
            {
                return (null, type);
            }

            candidate = new DateTime(year, month.Month, day, hour, minute, 0, DateTimeKind.Unspecified);
            if (!match.Groups["year"].Success && candidate < local.DateTime.AddDays(-1))
            {
                candidate = candidate.AddYears(1); // "Jan 2" printed on Dec 30
            }
        }
        else
        {
            // A time of day alone is within the next 24 hours.
            candidate = local.Date.AddHours(hour).AddMinutes(minute);
            if (candidate.AddMinutes(1) <= local.DateTime)
            {
                candidate = candidate.AddDays(1);
            }
        }

        var offset = zone.GetUtcOffset(candidate);
        return (new DateTimeOffset(candidate, offset).AddMinutes(1).ToUniversalTime(), type);
    }

    private static bool TryZone(string name, out TimeZoneInfo zone)
    {
        if (name is "UTC" or "GMT" or "Etc/UTC" or "Etc/GMT")
        {
            zone = TimeZoneInfo.Utc;
            return true;
        }

        if (name.Length > 0 && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var found))
        {
            zone = found;
            return true;
        }

        zone = TimeZoneInfo.Utc;
        return false;
    }

    [GeneratedRegex(@"\bresets (?:(?<mon>[A-Z][a-z]{2}) (?<day>\d{1,2}),? (?:(?<year>\d{4}),? )?)?(?<hour>\d{1,2})(?::(?<min>\d{2}))?\s?(?<ampm>am|pm)\s*\((?<tz>[^)]+)\)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ResetPattern();

    [GeneratedRegex(@"\b(session|weekly|opus|sonnet) limit\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WindowPattern();
}
