using System.Text.Json;

namespace AgentKanban.Contracts;

/// <summary>
/// One live event of a running agent session, relayed by the daemon (<c>POST /api/sessions/{id}/events</c>) and sent
/// to task-stream subscribers as the <c>agent_event</c> of an <c>agent.event</c> frame. <see cref="Seq"/> numbers
/// the session's events from 1 upwards; the server keeps the last N per session.
/// </summary>
public sealed record AgentEventDto
{
    /// <summary>Filled by the server on the way out; ignored in a batch (the path names the session).</summary>
    public string? SessionId { get; init; }

    public long Seq { get; init; }

    /// <summary>One of <see cref="AgentEventKinds"/>.</summary>
    public string? Kind { get; init; }

    /// <summary>When the daemon saw the event.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>A JSON object whose shape depends on <see cref="Kind"/> (see the <c>Agent*Data</c> records); <c>{}</c> when empty.</summary>
    public JsonElement? Data { get; init; }
}

/// <summary>The <c>kind</c> names of <see cref="AgentEventDto"/>.</summary>
public static class AgentEventKinds
{
    public const string TurnStarted = "turn_started";
    public const string Text = "text";
    public const string Thinking = "thinking";
    public const string ToolUse = "tool_use";
    public const string ToolResult = "tool_result";
    public const string TurnEnded = "turn_ended";
    public const string RateLimit = "rate_limit";
    public const string Error = "error";

    public static IReadOnlyList<string> All { get; } = [TurnStarted, Text, Thinking, ToolUse, ToolResult, TurnEnded, RateLimit, Error];
}

/// <summary><c>POST /api/sessions/{id}/events</c>: a batch in any order; a seq the server already has is ignored.</summary>
public sealed record AgentEventBatchRequest
{
    public IReadOnlyList<AgentEventDto>? Events { get; init; }
}

/// <summary>
/// The answer to a batch: how many events were stored, how many were ignored (a seq not above the session's last
/// stored seq: a retried or stale copy), and the session's highest seq on the server.
/// </summary>
public sealed record AgentEventBatchResultDto(int Accepted, int Ignored, long LastSeq);

/// <summary><c>data</c> of <c>text</c> and <c>thinking</c>.</summary>
public sealed record AgentTextData(string Text);

/// <summary><c>data</c> of <c>tool_use</c>: <see cref="Input"/> is the tool's input as JSON.</summary>
public sealed record AgentToolUseData(string Id, string Name, JsonElement Input);

/// <summary><c>data</c> of <c>tool_result</c>: <see cref="Content"/> is cut to a bounded size when <see cref="Truncated"/>.</summary>
public sealed record AgentToolResultData(string ToolUseId, string Content, bool IsError, bool Truncated);

/// <summary><c>data</c> of <c>turn_ended</c>.</summary>
public sealed record AgentTurnEndedData(long InputTokens, long OutputTokens, long CacheReadTokens, long CacheCreationTokens, decimal? CostUsd);

/// <summary><c>data</c> of <c>rate_limit</c>: statuses are <c>allowed</c>, <c>allowed_warning</c>, <c>rejected</c> or <c>unknown</c>.</summary>
public sealed record AgentRateLimitData(
    string Status,
    DateTimeOffset? ResetsAt,
    string? RateLimitType,
    string? OverageStatus,
    DateTimeOffset? OverageResetsAt);

/// <summary><c>data</c> of <c>error</c>.</summary>
public sealed record AgentErrorData(string? Code, string Detail);
