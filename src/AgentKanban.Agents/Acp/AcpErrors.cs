using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// What an ACP agent's failure means. ACP has no standard rate-limit shape, so each known agent's is recognised here:
/// <list type="bullet">
/// <item>claude-agent-acp: JSON-RPC error <c>-32603</c> "Internal error: API Error: Rate limit reached" (or "… 429 …") with
/// the reset lost on the way; or, for a subscription's usage window, Claude Code's own "You've hit your session limit ·
/// resets 6pm (UTC)", whose printed reset is read (<see cref="AcpResetText"/>);</item>
/// <item>codex-acp: <c>-32603</c> with <c>data.codex_error_info</c> <c>usage_limit_exceeded</c>;</item>
/// <item>copilot --acp: no error at all, the turn's only text is the 429 notice and it ends with <c>end_turn</c>
/// (<see cref="IsRateLimitNotice"/>).</item>
/// </list>
/// A refusal that names its reset (<c>resets_at</c>/<c>resetsAt</c>, epoch seconds, in the error's data) becomes a
/// rejected <see cref="RateLimitEvent"/>; without one the rate-limit fallback <see cref="AgentError"/>, so the daemon pauses
/// for its default window. A rate limit is never reported as an ordinary error.
/// </summary>
public static partial class AcpErrors
{
    /// <summary>ACP's "authentication required" error code.</summary>
    public const int AuthRequired = -32000;

    /// <summary>ACP's "resource not found" error code (an unknown session id on resume or load).</summary>
    public const int ResourceNotFound = -32002;

    /// <summary>The longest text still taken for a rate-limit notice rather than an answer that happens to mention one.</summary>
    private const int NoticeMaxLength = 600;

    /// <summary>
    /// The events for a JSON-RPC error of the agent: the rate-limit report, or an <see cref="AgentError"/> whose code the
    /// daemon classifies (server trouble is transient, authentication and the unknown are terminal).
    /// </summary>
    public static AgentEvent FromError(int code, string message, string? dataJson, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        var detail = dataJson is null ? message : message + " " + dataJson;
        if (IsRateLimit(detail))
        {
            if (ResetOf(dataJson) is { } resetsAt)
            {
                return new RateLimitEvent(RateLimitStatus.Rejected, resetsAt, null, false, null, null, null);
            }

            // Claude Code's own words, passed on by claude-agent-acp: "You've hit your session limit · resets 6pm (UTC)".
            var (printedReset, window) = AcpResetText.Parse(message, now);
            return printedReset is { } reset && reset > now
                ? new RateLimitEvent(RateLimitStatus.Rejected, reset, window, false, null, null, null)
                : new AgentError(ProviderErrors.RateLimit, detail, IsRateLimitFallback: true);
        }

        var errorCode = code == AuthRequired || AuthenticationPattern().IsMatch(detail) ? "authentication_failed"
            : ServerTroublePattern().IsMatch(detail) ? "server_error"
            : "acp_error";
        return new AgentError(errorCode, string.IsNullOrWhiteSpace(detail) ? $"ACP error {code.ToString(CultureInfo.InvariantCulture)}" : detail, false);
    }

    /// <summary>Whether an error text speaks of a usage or rate limit.</summary>
    public static bool IsRateLimit(string text) => RateLimitPattern().IsMatch(text);

    /// <summary>
    /// Whether a turn's closing text is an agent's own report of a refused request (copilot --acp writes the HTTP 429 as
    /// the answer): short, naming status 429 and a limit.
    /// </summary>
    public static bool IsRateLimitNotice(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= NoticeMaxLength && Status429Pattern().IsMatch(text) && LimitWordsPattern().IsMatch(text);
    }

    /// <summary>The reset time an error's data names (<c>resets_at</c>, <c>resetsAt</c> or <c>reset_at</c>, epoch seconds), or null.</summary>
    public static DateTimeOffset? ResetOf(string? dataJson)
    {
        if (string.IsNullOrEmpty(dataJson))
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(dataJson));
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName
                    && (reader.ValueTextEquals("resets_at"u8) || reader.ValueTextEquals("resetsAt"u8) || reader.ValueTextEquals("reset_at"u8)))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var seconds) && seconds > 0 && seconds < 100_000_000_000)
                    {
                        return DateTimeOffset.FromUnixTimeSeconds(seconds);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Data that is not JSON names no reset.
        }

        return null;
    }

    [GeneratedRegex(@"\b429\b|rate[ _-]?limit|usage[ _-]?limit|too many requests|quota|resource[ _]exhausted|you've hit your|(session|weekly|opus|sonnet) limit|out of extra usage", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RateLimitPattern();

    [GeneratedRegex(@"rate[ _-]?limit|usage[ _-]?limit|too many requests|quota|exhausted|exceeded", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LimitWordsPattern();

    [GeneratedRegex(@"\b429\b", RegexOptions.CultureInvariant)]
    private static partial Regex Status429Pattern();

    [GeneratedRegex(@"\b401\b|authenticat|unauthori[sz]ed|invalid api key|auth[ _]required", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthenticationPattern();

    [GeneratedRegex(@"overloaded|api error: 5\d\d|\b50[0234]\b|\b529\b|internal server error|econnrefused|econnreset|network", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ServerTroublePattern();
}
