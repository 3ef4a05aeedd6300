using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// Any agent that speaks the Agent Client Protocol (JSON-RPC 2.0, one message per line on stdio): claude-agent-acp,
/// <c>copilot --acp</c>, <c>gemini --acp</c>, codex-acp, … The agent is a command line — the agent's own
/// (<see cref="AgentLaunchSpec.AgentCommand"/>), else the daemon's default (<see cref="AcpCommandLine"/>). A run is a
/// <c>session/prompt</c> in a new session (or the resumed one: the resume token is the agent's session id), then one more
/// for each message people wrote meanwhile (live input), driven by <see cref="AcpAgentProcess"/>. Our work protocol goes before the first prompt of a conversation (ACP has no system
/// prompt). The model and permission mode are the agent's own settings: permission requests are answered "allow", the
/// daemon's sandbox being the boundary.
/// </summary>
public sealed class AcpRuntime : IAgentRuntime
{
    /// <summary>How long the agent gets to start and open its session.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(60);

    public static AcpRuntime Instance { get; } = new();

    public string Name => RuntimeNames.Acp;

    /// <summary>The built-in default agent's executable (the daemon looks up the default command's first word).</summary>
    public string ExecutableName(IReadOnlyDictionary<string, string?> environment) => AcpCommandLine.Default(environment)[0];

    /// <summary>How long the agent gets from its start to an open session before the run fails with <c>timeout</c>.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = DefaultHandshakeTimeout;

    /// <summary>How long the agent gets to exit after SIGTERM once its conversation is over.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an agent whose turn is over may wind its session down (after <c>session/close</c>) before it is stopped.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(2);

    public IAgentProcess Start(AgentLaunchSpec spec, IAgentHost host)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(host);
        var options = ProcessOptions(spec, Posix.geteuid() == 0);
        var process = host.Spawn(options);
        var conversation = new AcpConversation(spec.WorkingDirectory, spec.PromptWithSystemPrompt(), spec.ResumeToken, spec.Environment, host.TimeProvider);
        return new AcpAgentProcess(process, host, spec.WorkingDirectory, conversation, HandshakeTimeout, StopGrace, Settle);
    }

    /// <summary>
    /// The process for one run: the agent's command (its first word looked up on the agent's PATH), or the daemon's
    /// default run from <see cref="AgentLaunchSpec.Executable"/> (the path the daemon found for it) with the default's
    /// arguments. Standard input stays open for the dialogue.
    /// </summary>
    public static AgentProcessOptions ProcessOptions(AgentLaunchSpec spec, bool runningAsRoot)
    {
        ArgumentNullException.ThrowIfNull(spec);
        IReadOnlyList<string> words;
        string executable;
        try
        {
            if (!string.IsNullOrWhiteSpace(spec.AgentCommand))
            {
                words = AcpCommandLine.Split(spec.AgentCommand);
                executable = words.Count > 0 ? words[0] : throw new AgentLaunchException("the agent command is empty");
            }
            else
            {
                words = AcpCommandLine.Default(spec.Environment);
                executable = spec.Executable;
            }
        }
        catch (FormatException e)
        {
            throw new AgentLaunchException(e.Message, e);
        }

        var environment = spec.ProcessEnvironment();
        // claude-agent-acp runs Claude Code, which refuses to start its sessions as root unless told it is sandboxed.
        if (runningAsRoot && Path.GetFileName(executable) == AcpCommandLine.BuiltInDefault && !environment.ContainsKey("IS_SANDBOX"))
        {
            environment["IS_SANDBOX"] = "1";
        }

        return new AgentProcessOptions
        {
            Executable = executable,
            Arguments = words.Skip(1).ToArray(),
            Environment = environment,
            WorkingDirectory = spec.WorkingDirectory,
            StandardInput = ReadOnlyMemory<byte>.Empty,
            KeepStandardInputOpen = true,
        };
    }

    /// <summary>Credentials are the agent's own business (its login files or variables): an installed agent is ready.</summary>
    public RuntimeAvailability CheckAvailability(string executable, IReadOnlyDictionary<string, string?> environment) => RuntimeAvailability.Ready;
}
