using AgentKanban.Agents.Acp;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Copilot;
using AgentKanban.Agents.Gemini;

namespace AgentKanban.Agents.Runtimes;

/// <summary>Every runtime this build can drive: the one list the daemon registers from.</summary>
public static class AgentRuntimes
{
    public static IReadOnlyList<IAgentRuntime> All { get; } =
    [
        ClaudeCodeRuntime.Instance,
        CodexRuntime.Instance,
        GeminiRuntime.Instance,
        CopilotRuntime.Instance,
        AcpRuntime.Instance,
    ];

    /// <summary>The runtime named <paramref name="name"/>, or null when this build has no adapter for it.</summary>
    public static IAgentRuntime? Find(string name) => All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.Ordinal));
}
