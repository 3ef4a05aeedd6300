namespace AgentKanban.Contracts;

public sealed record AgentDto
{
    public required string Id { get; init; }
    public required string Username { get; init; }
    public string? Name { get; init; }
    /// <summary><c>worker</c> or <c>leader</c>.</summary>
    public required string Kind { get; init; }
    /// <summary><c>claude</c>, <c>codex</c>, <c>gemini</c>, <c>copilot</c> or <c>acp</c>.</summary>
    public required string Runtime { get; init; }
    public string? Model { get; init; }
    public string? Role { get; init; }
    public string? Instructions { get; init; }
    /// <summary>Runtime-specific permission mode the daemon should use (null = the daemon's default).</summary>
    public string? PermissionMode { get; init; }
    /// <summary>
    /// The agent program an <c>acp</c> agent runs, as a command line (<c>copilot --acp</c>, <c>gemini --acp</c>, …; null = the
    /// daemon's default: <c>AK_ACP_COMMAND</c>, else <c>claude-agent-acp</c>). Kept for any runtime, used only by <c>acp</c>.
    /// </summary>
    public string? Command { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record CreateAgentRequest
{
    public string? Username { get; init; }
    public string? Runtime { get; init; }
    public string? Kind { get; init; }
    public string? Name { get; init; }
    public string? Model { get; init; }
    public string? Role { get; init; }
    public string? Instructions { get; init; }
    public string? PermissionMode { get; init; }
    /// <summary>The agent command line for runtime <c>acp</c> (see <see cref="AgentDto.Command"/>); an empty string clears it on update.</summary>
    public string? Command { get; init; }
}

public sealed record UpdateAgentRequest
{
    public string? Name { get; init; }
    public string? Runtime { get; init; }
    public string? Kind { get; init; }
    public string? Model { get; init; }
    public string? Role { get; init; }
    public string? Instructions { get; init; }
    public string? PermissionMode { get; init; }
    /// <summary>The agent command line for runtime <c>acp</c> (see <see cref="AgentDto.Command"/>); an empty string clears it on update.</summary>
    public string? Command { get; init; }
}
