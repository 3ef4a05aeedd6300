using System.Globalization;

namespace AgentKanban.Cli.Output;

/// <summary>kubectl-style ages ("45s", "12m", "3h", "5d") and compact timestamps for tables.</summary>
public static class Age
{
    public static string Since(DateTimeOffset? then, DateTimeOffset now)
    {
        if (then is null)
        {
            return "";
        }

        var span = now - then.Value;
        if (span < TimeSpan.Zero)
        {
            return "in " + Format(-span);
        }

        return Format(span);
    }

    public static string Format(TimeSpan span) => span.TotalSeconds switch
    {
        < 60 => $"{(int)span.TotalSeconds}s",
        < 3600 => $"{(int)span.TotalMinutes}m",
        < 86400 => $"{(int)span.TotalHours}h",
        _ => $"{(int)span.TotalDays}d",
    };

    /// <summary>UTC, to the second: <c>2025-05-01 14:03:07Z</c>.</summary>
    public static string Stamp(DateTimeOffset? value) =>
        value is null ? "" : value.Value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
