using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentKanban.Cli.Parsing;

/// <summary>Durations as people type them: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1h30m</c>, <c>1d</c>; a bare number is seconds; <c>0</c> = no limit.</summary>
public static partial class Durations
{
    public static bool TryParse(string? text, out TimeSpan? duration)
    {
        duration = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return false;
            }

            duration = seconds == 0 ? null : TimeSpan.FromSeconds(seconds);
            return true;
        }

        var match = DurationPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unitMatch = PartPattern().Match(part.Value);
            var amount = double.Parse(unitMatch.Groups["n"].Value, CultureInfo.InvariantCulture);
            total += unitMatch.Groups["u"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
        }

        duration = total == TimeSpan.Zero ? null : total;
        return true;
    }

    [GeneratedRegex(@"^(?<part>[0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]+)?)(?<u>ms|s|m|h|d)$")]
    private static partial Regex PartPattern();
}
