namespace AgentKanban.Core.Events;

/// <summary>
/// The provider's result for one prompt (Claude Code's <c>result</c> message): the turn is over.
/// </summary>
/// <param name="IsError">The provider says the turn failed (Claude: <c>is_error</c>, e.g. a rate-limited turn).</param>
/// <param name="Usage">Tokens the provider reports for this turn; the daemon adds these to the session counters.</param>
/// <param name="CostUsd">
/// Cost the provider reports, in US dollars. Claude Code reports the cost of the whole process run so
/// far (cumulative when several prompts go to one process), so a consumer keeps the latest, not the sum.
/// </param>
/// <param name="ResumeToken">What the runtime needs to continue this conversation later (Claude: the session id).</param>
/// <param name="Subtype">The provider's own outcome name (Claude: <c>success</c>, <c>error_max_turns</c>, …).</param>
/// <param name="ResultText">The agent's closing text, when the provider repeats it here.</param>
public sealed record TurnEnded(
    bool IsError,
    TokenUsage Usage,
    decimal? CostUsd,
    string? ResumeToken,
    string? Subtype,
    string? ResultText,
    int? NumTurns,
    long? DurationMs) : AgentEvent;
