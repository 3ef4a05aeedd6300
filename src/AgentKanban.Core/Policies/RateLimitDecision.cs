namespace AgentKanban.Core.Policies;

public enum RateLimitAction
{
    /// <summary>Pause the runtime until <see cref="RateLimitDecision.Pause"/> ends (and set the session's resume time to it).</summary>
    Pause,
    /// <summary>The provider allows work again: clear the runtime's pause.</summary>
    Clear,
    /// <summary>Change nothing (keeps an existing pause, e.g. while running on overage).</summary>
    Keep,
}

/// <param name="Pause">The window in force after the decision (null when there is none).</param>
public sealed record RateLimitDecision(RateLimitAction Action, RuntimePause? Pause, string Reason);
