namespace AgentKanban.Agents.Runtimes;

/// <summary>Everything needed to start one agent process for a session.</summary>
/// <param name="Runtime">The runtime's name (<see cref="IAgentRuntime.Name"/>).</param>
/// <param name="Executable">The CLI, resolved to a full path.</param>
/// <param name="ProviderSessionId">The id a new conversation gets, where the CLI lets the caller choose it (Claude, Gemini, Copilot).</param>
/// <param name="ResumeToken">Non-null: continue that conversation (the runtime's own id for it, as reported in <see cref="Core.Events.SessionInitialized"/> or <see cref="Core.Events.TurnEnded.ResumeToken"/>); null: start a new one.</param>
/// <param name="PermissionMode">The agent's permission mode (runtime-specific; null = the runtime's default).</param>
/// <param name="SystemPrompt">Our work protocol, appended to the runtime's own instructions where the CLI allows, else put before the prompt.</param>
/// <param name="Environment">The agent's environment: the daemon's minus its credentials, plus the session's identity (a null value removes a variable).</param>
/// <param name="Sandboxed">The daemon runs the agent in its own sandbox, so a CLI's own sandbox may be switched off (nested ones fail).</param>
/// <param name="AgentCommand">For runtimes that run a configurable agent (ACP): the command line, parsed as shell-like words; null = the runtime's default.</param>
public sealed record AgentLaunchSpec(
    string Runtime,
    string Executable,
    string WorkingDirectory,
    string Prompt,
    string ProviderSessionId,
    string? ResumeToken,
    string? Model,
    string? PermissionMode,
    string SystemPrompt,
    IReadOnlyDictionary<string, string?> Environment,
    bool Sandboxed = false,
    string? AgentCommand = null)
{
    /// <summary>The environment without removed variables, as a process gets it.</summary>
    public Dictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Environment)
        {
            if (value is not null)
            {
                result[name] = value;
            }
        }

        return result;
    }

    /// <summary>The work protocol and the prompt as one text, for CLIs with no way to add to their system prompt.</summary>
    public string PromptWithSystemPrompt() =>
        string.IsNullOrWhiteSpace(SystemPrompt) || ResumeToken is not null ? Prompt : SystemPrompt.TrimEnd() + "\n\n" + Prompt;
}
