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

    /// <summary>
    /// The models the CLI says it offers (for <c>ak get models</c>), best first; null when this CLI has no way to list
    /// them (then an agent names its model as the CLI's documentation does).
    /// </summary>
    Task<IReadOnlyList<RuntimeModel>?> ListModelsAsync(string executable, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RuntimeModel>?>(null);
}

/// <summary>A model a runtime offers: the name to give as the agent's model, and how the CLI describes it.</summary>
public sealed record RuntimeModel(string Id, string? DisplayName, string? Description);
