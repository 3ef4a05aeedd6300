namespace AgentKanban.Core.Events;

/// <summary>
/// The runtime reported an error in the conversation (not a crash of the process).
/// </summary>
/// <param name="Code">The provider's error code (Claude: <c>rate_limit</c>, <c>server_error</c>, <c>authentication_failed</c>, …).</param>
/// <param name="Detail">Human-readable text; never empty.</param>
/// <param name="IsRateLimitFallback">
/// The provider signalled a rate limit only through this error, with no structured rate-limit report in
/// the same turn. The daemon treats it as "rejected, reset unknown" (which never shortens a known window).
/// </param>
public sealed record AgentError(string? Code, string Detail, bool IsRateLimitFallback) : AgentEvent;
