namespace AgentKanban.Core.Events;

/// <summary>
/// The runtime started (or resumed) a conversation. <see cref="ProviderSessionId"/> is the
/// provider's own id for it; for Claude Code it is also the resume token.
/// </summary>
public sealed record SessionInitialized(string ProviderSessionId, string? Model, string? WorkingDirectory) : AgentEvent;
