using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentKanban.Cli.Parsing;

/// <summary>ISO-8601 instants with an explicit zone (<c>2025-06-01T09:00:00Z</c>, <c>…+02:00</c>); a time without a zone is ambiguous and refused.</summary>
public static partial class Timestamps
{
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null
            && IsoPattern().IsMatch(text.Trim())
            && DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    public static DateTimeOffset ParseOrUsage(string text, string option) =>
        TryParse(text, out var value)
            ? value
            : throw new UsageException($"{option}: '{text}' is not an ISO-8601 time with a zone (e.g. 2025-06-01T09:00:00Z)");

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|z|[+-]\d{2}:?\d{2})$")]
    private static partial Regex IsoPattern();
}
