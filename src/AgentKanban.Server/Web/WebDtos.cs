namespace AgentKanban.Server.Web;

/// <summary>Token and cost totals of the sessions of one board or one agent (<c>GET /api/usage</c>).</summary>
public sealed record UsageTotalDto(
    string Id,
    string Name,
    long Sessions,
    long InputTokens,
    long OutputTokens,
    long CacheReadTokens,
    long CacheCreationTokens,
    long CostMicroUsd);

/// <summary>Answer of <c>GET /api/usage</c>: totals per board (through the sessions' tasks) and per agent.</summary>
public sealed record UsageTotalsDto(IReadOnlyList<UsageTotalDto> Boards, IReadOnlyList<UsageTotalDto> Agents);

/// <summary>Since when a task has been in its current column (<c>GET /api/boards/{id}/column-times</c>).</summary>
public sealed record ColumnTimeDto(string TaskId, string Status, DateTimeOffset Since);

/// <summary>Answer of <c>GET /api/events/latest</c>: the newest id of the event log (0 when empty).</summary>
public sealed record EventCursorDto(long LastEventId);
