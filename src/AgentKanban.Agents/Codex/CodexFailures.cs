using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Codex;

/// <summary>
/// How a Codex run that did not end well is reported (pure; from what stdout, stderr and the session file said):
/// <list type="bullet">
/// <item>the usage limit (<c>codex_error_info: usage_limit_exceeded</c> in the session file, or the failure's sentence) →
/// <see cref="RateLimitEvent"/> rejected until the reset of the exhausted window, or the rate-limit fallback when no
/// window at 100 % names a reset;</item>
/// <item>any other 429 (Codex retried and gave up: "exceeded retry limit, last status: 429") → the fallback;</item>
/// <item>a resume of a thread Codex has no file for → <see cref="ProviderErrors.ConversationNotFound"/>;</item>
/// <item>anything else → an <see cref="AgentError"/> with a code the daemon can classify.</item>
/// </list>
/// </summary>
public static class CodexFailures
{
    /// <summary>The session file's name for the usage limit.</summary>
    public const string UsageLimitExceeded = "usage_limit_exceeded";

    /// <summary>
    /// The rejection for a usage limit: the LATEST reset among the windows used up (at 100 % or more) — the run can only
    /// go on when every exhausted window has reset, so an earlier reset would resume it into another refusal. Null when
    /// no exhausted window names a reset (the caller then reports the fallback; a reset is never guessed).
    /// </summary>
    public static RateLimitEvent? Rejection(IReadOnlyList<UsageWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        UsageWindow? latest = null;
        foreach (var window in windows)
        {
            if (window is { UsedPercent: >= 100, ResetsAt: { } reset } && (latest?.ResetsAt is not { } best || reset > best))
            {
                latest = window;
            }
        }

        // Utilization as a fraction of the window, as rate-limit reports carry it (Codex gives a percentage).
        return latest is null
            ? null
            : new RateLimitEvent(RateLimitStatus.Rejected, latest.ResetsAt, latest.Name, false, null, null, latest.UsedPercent / 100);
    }

    /// <summary>Whether a failure's text is Codex's usage-limit sentence ("You've hit your usage limit. … try again at …").</summary>
    public static bool MentionsUsageLimit(string? message) =>
        message is not null && message.Contains("usage limit", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a failure is an HTTP 429 Codex gave up retrying ("exceeded retry limit, last status: 429 Too Many Requests").</summary>
    public static bool IsTooManyRequests(string? message) =>
        message is not null && (message.Contains("status: 429", StringComparison.Ordinal) || message.Contains("429 Too Many Requests", StringComparison.Ordinal));

    /// <summary>Whether stderr says a resume found no thread under its id (the run printed nothing to stdout then).</summary>
    public static string? ThreadNotFound(string? standardError)
    {
        if (string.IsNullOrEmpty(standardError))
        {
            return null;
        }

        // 0.169.0: "Error: thread/resume: thread/resume failed: no rollout found for thread id ID (code -32600)"
        var at = standardError.IndexOf("no rollout found for thread id", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var lineStart = standardError.LastIndexOf('\n', at) + 1;
        var lineEnd = standardError.IndexOf('\n', at);
        return standardError[lineStart..(lineEnd < 0 ? standardError.Length : lineEnd)].Trim();
    }

    /// <summary>
    /// The error code for a failed turn that is not a rate limit: Codex's own name for the failure where it wrote one,
    /// mapped to the codes the daemon treats as transient for server trouble; else <c>codex_error</c> (terminal).
    /// </summary>
    public static string ErrorCode(string? errorInfo, string? message)
    {
        switch (errorInfo)
        {
            case "server_overloaded":
                return "overloaded";
            case "internal_server_error" or "http_connection_failed" or "response_stream_connection_failed" or "response_stream_disconnected":
                return "server_error";
            case { Length: > 0 } known when known != "error":
                return known;
        }

        // "exceeded retry limit, last status: 500 Internal Server Error": Codex retried a server error and gave up.
        return message is not null && message.Contains("last status: 5", StringComparison.Ordinal) ? "server_error" : "codex_error";
    }
}
