using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Process;

namespace AgentKanban.Agents.ClaudeCode;

/// <summary>The Claude Code runtime: how to start it and how to read it.</summary>
public static class ClaudeCodeRuntime
{
    /// <summary>The runtime's name on the board (<c>agent.runtime</c>) and the CLI looked up on PATH.</summary>
    public const string Name = "claude";

    /// <summary>A fresh parser for one run.</summary>
    public static IAgentOutputParser CreateParser() => new ClaudeStreamJsonParser();

    /// <summary>
    /// Process options for one run: the command line from <see cref="ClaudeArgs"/>, the given environment plus
    /// whatever the permission mode needs on this machine (see <see cref="ClaudePermissions.RequiredEnvironment"/>),
    /// and the prompt on standard input when it goes there.
    /// </summary>
    public static AgentProcessOptions ProcessOptions(
        ClaudeLaunch launch,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        bool? runningAsRoot = null)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(environment);
        var command = ClaudeArgs.Build(launch);
        var env = new Dictionary<string, string>(environment, StringComparer.Ordinal);
        foreach (var (key, value) in launch.Permissions.RequiredEnvironment(runningAsRoot ?? Posix.geteuid() == 0))
        {
            env[key] = value;
        }

        return new AgentProcessOptions
        {
            Executable = command.Executable,
            Arguments = command.Arguments,
            Environment = env,
            WorkingDirectory = workingDirectory,
            // Spelled out: a bare null here would convert to an empty (non-null) ReadOnlyMemory through byte[].
            StandardInput = command.StandardInput is { } input ? new ReadOnlyMemory<byte>(input) : (ReadOnlyMemory<byte>?)null,
            KeepStandardInputOpen = command.KeepInputOpen,
        };
    }
}
