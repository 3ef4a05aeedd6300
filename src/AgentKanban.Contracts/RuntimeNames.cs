namespace AgentKanban.Contracts;

/// <summary>
/// The agent runtimes the board knows, by the names agents, heartbeats and the CLI use. The one list:
/// the server validates agents against it, the CLI offers it, the daemon reports each in its heartbeat.
/// </summary>
public static class RuntimeNames
{
    public const string Claude = "claude";
    public const string Codex = "codex";
    public const string Gemini = "gemini";
    public const string Copilot = "copilot";

    /// <summary>Any agent speaking the Agent Client Protocol over stdio; its command is set per agent.</summary>
    public const string Acp = "acp";

    /// <summary>Every runtime, in the order heartbeats and help text list them.</summary>
    public static IReadOnlyList<string> All { get; } = [Claude, Codex, Gemini, Copilot, Acp];
}
