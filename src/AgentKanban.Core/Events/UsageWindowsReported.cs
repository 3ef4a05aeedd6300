namespace AgentKanban.Core.Events;

/// <summary>One of the provider's usage windows (Codex: primary and secondary; Claude: five-hour and weekly).</summary>
/// <param name="Name">The window as the provider names it (<c>primary</c>, <c>five_hour</c>, …).</param>
/// <param name="UsedPercent">How much of the window is used, 0–100.</param>
/// <param name="WindowMinutes">The window's length, when the provider says.</param>
/// <param name="ResetsAt">When the window starts over, when the provider says.</param>
public sealed record UsageWindow(string Name, double UsedPercent, int? WindowMinutes, DateTimeOffset? ResetsAt);

/// <summary>
/// The provider said how much of its usage windows this account has used. Informational (shown per runtime on the
/// machines page); a refusal is reported as a <see cref="RateLimitEvent"/>, never only through this.
/// </summary>
public sealed record UsageWindowsReported(IReadOnlyList<UsageWindow> Windows) : AgentEvent;
