namespace AgentKanban.Agents.Runtimes;

/// <summary>
/// One agent CLI, everything the daemon needs to drive it: how a run is launched (arguments, environment, files), how its
/// output maps to the one event model (<see cref="Core.Events.AgentEvent"/>), how a conversation is resumed, how the CLI
/// reports rate limits and usage, and whether it can work on this machine. The daemon knows only this seam; a runtime is
/// added as one folder with one implementation, listed in <see cref="AgentRuntimes"/>.
/// </summary>
public interface IAgentRuntime
{
    /// <summary>The runtime's name on the board (<c>agent.runtime</c>), one of <see cref="Contracts.RuntimeNames"/>.</summary>
    string Name { get; }

    /// <summary>The executable looked up on <c>PATH</c> when no override names one.</summary>
    string ExecutableName { get; }

    /// <summary>
    /// Starts one run in <see cref="AgentLaunchSpec.WorkingDirectory"/> through <paramref name="host"/> (which sandboxes it):
    /// a new conversation named <see cref="AgentLaunchSpec.ProviderSessionId"/>, or the one in
    /// <see cref="AgentLaunchSpec.ResumeToken"/> continued. Throws <see cref="AgentLaunchException"/> when it cannot start.
    /// </summary>
    IAgentProcess Start(AgentLaunchSpec spec, IAgentHost host);

    /// <summary>
    /// Whether the CLI has credentials to work with (environment variables or its own login files); cheap and without
    /// network, called for the heartbeat. Never throws.
    /// </summary>
    RuntimeAvailability CheckAvailability(string executable, IReadOnlyDictionary<string, string?> environment);
}
