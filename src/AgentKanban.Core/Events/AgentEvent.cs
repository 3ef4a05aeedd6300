namespace AgentKanban.Core.Events;

/// <summary>
/// One thing an agent runtime reported, in a provider-neutral shape. Every runtime adapter
/// (Claude Code, Codex, Gemini, …) maps its own output protocol to these records; the daemon
/// routes them (rate limits to the policy and the store, text to the task's messages, usage to
/// the session counters) without knowing which CLI produced them.
/// </summary>
public abstract record AgentEvent;
