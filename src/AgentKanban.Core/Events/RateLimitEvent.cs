namespace AgentKanban.Core.Events;

/// <summary>How the provider answered with respect to its usage limits.</summary>
public enum RateLimitStatus
{
    /// <summary>A status this build does not know; treated as "no information".</summary>
    Unknown,
    Allowed,
    /// <summary>Allowed, but close to the limit.</summary>
    AllowedWarning,
    Rejected,
}

/// <summary>
/// A structured rate-limit report from the provider (Claude Code's <c>rate_limit_event</c>).
/// What the daemon does with it is <c>RateLimitPolicy</c>'s business.
/// </summary>
/// <param name="ResetsAt">When the main window resets, if the provider said.</param>
/// <param name="RateLimitType">Which window (<c>five_hour</c>, <c>seven_day</c>, …), as the provider names it.</param>
/// <param name="IsUsingOverage">The request went through on paid overage rather than the plan's allowance.</param>
/// <param name="OverageStatus">How the overage allowance answered, when the provider said.</param>
/// <param name="OverageResetsAt">When the overage allowance resets.</param>
/// <param name="Utilization">The provider's utilisation figure, passed through unscaled.</param>
public sealed record RateLimitEvent(
    RateLimitStatus Status,
    DateTimeOffset? ResetsAt,
    string? RateLimitType,
    bool IsUsingOverage,
    RateLimitStatus? OverageStatus,
    DateTimeOffset? OverageResetsAt,
    double? Utilization) : AgentEvent;
