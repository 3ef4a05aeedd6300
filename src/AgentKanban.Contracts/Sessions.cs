namespace AgentKanban.Contracts;

public sealed record SessionDto
{
    public required string Id { get; init; }
    public required string AgentId { get; init; }
    public required string MachineId { get; init; }
    public string? TaskId { get; init; }
    /// <summary><c>active</c> or <c>closed</c>.</summary>
    public required string Status { get; init; }
    /// <summary>The task's lease epoch this session was started with; calls with an older epoch get 409.</summary>
    public long Epoch { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CacheReadTokens { get; init; }
    public long CacheCreationTokens { get; init; }
    public long CostMicroUsd { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
}

/// <summary>
/// <c>POST /api/sessions</c> (machine). <c>public_key</c> is the session's ECDSA P-256 public key as
/// base64 SubjectPublicKeyInfo; the agent signs ES256 JWTs with the private half.
/// </summary>
public sealed record OpenSessionRequest
{
    public string? SessionId { get; init; }
    public string? AgentId { get; init; }
    public string? TaskId { get; init; }
    public long? Epoch { get; init; }
    public string? PublicKey { get; init; }
}

/// <summary><c>POST /api/sessions/{id}/usage</c>: counters are added to the session's totals.</summary>
public sealed record SessionUsageRequest
{
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CacheReadTokens { get; init; }
    public long CacheCreationTokens { get; init; }
    public long CostMicroUsd { get; init; }
}
