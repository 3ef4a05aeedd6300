using System.Globalization;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Gemini;

/// <summary>
/// Reads a rate limit out of the Gemini CLI's error text (its <c>result</c> error message, or an <c>error</c> event).
/// The CLI reports a refused call only as text, shaped by how it classified Google's 429 <c>RESOURCE_EXHAUSTED</c>:
/// <list type="bullet">
/// <item>a daily quota (a <c>…PerDay</c> quota id): "You have exhausted your daily quota on this model." with no time —
/// daily quotas start over at midnight Pacific time, so that is the reset;</item>
/// <item>a short limit: Google's "Please retry in 37.5s." and, from the response's <c>RetryInfo</c>, the CLI's own
/// "Suggested retry after 37s." — the later of the two is the reset;</item>
/// <item>any other quota refusal ("Resource has been exhausted", capacity) carries no time: the fallback signal.</item>
/// </list>
/// A daily quota wins over any retry delay in the same text: a short delay there would be an invented early reset.
/// </summary>
public static class GeminiRateLimits
{
    /// <summary>The limit type reported for a daily quota.</summary>
    public const string Daily = "daily";

    /// <summary>The limit type reported for a refusal with a retry delay.</summary>
    public const string RetryDelay = "retry_delay";

    private static readonly string[] DelayMarkers = ["Please retry in ", "Suggested retry after "];

    private static readonly string[] QuotaMarkers =
    [
        "RESOURCE_EXHAUSTED", "Resource has been exhausted", "exceeded your current quota", "exhausted your capacity",
        "capacity exceeded", "MODEL_CAPACITY_EXHAUSTED", "Too Many Requests", "rate limit", "Rate limit", "quota",
    ];

    /// <summary>
    /// The event for <paramref name="message"/> if it reports a rate limit, else null: a <see cref="RateLimitEvent"/>
    /// (rejected) when a reset time is known, the fallback <see cref="AgentError"/> when not.
    /// </summary>
    public static AgentEvent? Classify(string? message, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(message))
        {
            return null;
        }

        if (message.Contains("exhausted your daily quota", StringComparison.OrdinalIgnoreCase))
        {
            return new RateLimitEvent(RateLimitStatus.Rejected, PacificTime.NextMidnight(now), Daily, false, null, null, null);
        }

        if (LongestRetryDelay(message) is { } delay)
        {
            return new RateLimitEvent(RateLimitStatus.Rejected, now + delay, RetryDelay, false, null, null, null);
        }

        foreach (var marker in QuotaMarkers)
        {
            if (message.Contains(marker, StringComparison.Ordinal))
            {
                return new AgentError(ProviderErrors.RateLimit, message, IsRateLimitFallback: true);
            }
        }

        return null;
    }

    /// <summary>The longest retry delay the text names ("Please retry in 37.5s", "Suggested retry after 1500ms"), rounded up to whole seconds.</summary>
    public static TimeSpan? LongestRetryDelay(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        TimeSpan? longest = null;
        foreach (var marker in DelayMarkers)
        {
            var at = 0;
            while ((at = message.IndexOf(marker, at, StringComparison.Ordinal)) >= 0)
            {
                at += marker.Length;
                if (ParseDelay(message.AsSpan(at)) is { } delay && (longest is null || delay > longest))
                {
                    longest = delay;
                }
            }
        }

        return longest;
    }

    /// <summary>A protobuf-style duration at the start of <paramref name="text"/>: digits, an optional fraction, then <c>s</c> or <c>ms</c>.</summary>
    private static TimeSpan? ParseDelay(ReadOnlySpan<char> text)
    {
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        if (end == 0 || !double.TryParse(text[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var unit = text[end..];
        var seconds = unit.StartsWith("ms", StringComparison.Ordinal) ? value / 1000 : unit.StartsWith('s') ? value : double.NaN;
        if (double.IsNaN(seconds) || seconds > TimeSpan.FromDays(7).TotalSeconds)
        {
            return null;
        }

        return TimeSpan.FromSeconds(Math.Ceiling(seconds));
    }
}
