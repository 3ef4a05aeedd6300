using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;

namespace AgentKanban.Agents.ClaudeCode;

/// <summary>
/// Claude Code: <c>claude -p --output-format stream-json --verbose</c> with the session id chosen up front (or
/// <c>--resume</c>), our work protocol appended to its system prompt, the agent's model and permission mode. Live input:
/// the prompt is the first stream-json user message on its stdin (<c>--input-format stream-json
/// --replay-user-messages</c>), which stays open so people's messages reach the agent mid-run; the CLI echoes each one
/// when the conversation has taken it, and exits once its stdin closes after a turn. Rate limits arrive as
/// <c>rate_limit_event</c> lines with the reset time (see <see cref="ClaudeStreamJsonParser"/>).
/// </summary>
public sealed class ClaudeCodeRuntime : IAgentRuntime
{
    public static ClaudeCodeRuntime Instance { get; } = new();

    public string Name => RuntimeNames.Claude;

    public string ExecutableName(IReadOnlyDictionary<string, string?> environment) => "claude";

    public IAgentProcess Start(AgentLaunchSpec spec, IAgentHost host)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(host);
        var sessionId = spec.ResumeToken ?? spec.ProviderSessionId;
        var options = ProcessOptions(spec, Posix.geteuid() == 0);
        var process = host.Spawn(options);
        return new LineAgentProcess(process, host, spec.WorkingDirectory, new ClaudeStreamJsonParser(), new LineAgentHooks
        {
            // The id goes out as the message's uuid; the CLI echoes it back (--replay-user-messages) when the model sees it.
            EncodeInput = message => ClaudeArgs.StreamJsonUserMessage(message.Text, sessionId,
                Guid.TryParse(message.Id, out var uuid) ? uuid : throw new ArgumentException("the message id must be a UUID", nameof(message))),
        });
    }

    /// <summary>The process options for one run; <paramref name="runningAsRoot"/> decides what a bypass mode needs.</summary>
    public static AgentProcessOptions ProcessOptions(AgentLaunchSpec spec, bool runningAsRoot)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var permissions = Permissions(spec.PermissionMode);
        ClaudeCommand command;
        try
        {
            command = ClaudeArgs.Build(new ClaudeLaunch
            {
                Prompt = spec.Prompt,
                SessionId = spec.ResumeToken ?? spec.ProviderSessionId,
                Resume = spec.ResumeToken is not null,
                Model = spec.Model,
                AppendSystemPrompt = string.IsNullOrWhiteSpace(spec.SystemPrompt) ? null : spec.SystemPrompt,
                Permissions = permissions,
                Executable = spec.Executable,
                LiveInput = true,
                PromptMessageId = Guid.NewGuid(),
            });
        }
        catch (ArgumentException e)
        {
            throw new AgentLaunchException(e.Message, e);
        }

        var environment = spec.ProcessEnvironment();
        foreach (var (name, value) in permissions.RequiredEnvironment(runningAsRoot))
        {
            environment[name] = value;
        }

        return new AgentProcessOptions
        {
            Executable = command.Executable,
            Arguments = command.Arguments,
            Environment = environment,
            WorkingDirectory = spec.WorkingDirectory,
            // Spelled out: a bare null here would convert to an empty (non-null) ReadOnlyMemory through byte[].
            StandardInput = command.StandardInput is { } input ? new ReadOnlyMemory<byte>(input) : (ReadOnlyMemory<byte>?)null,
            KeepStandardInputOpen = command.KeepInputOpen,
        };
    }

    /// <summary>The agent's permission mode: unset → acceptEdits with the default tools (works as root and as a user).</summary>
    public static ClaudePermissions Permissions(string? mode) => mode switch
    {
        null or "" or "acceptEdits" => ClaudePermissions.Default,
        "bypassPermissions" => ClaudePermissions.Bypass,
        _ => ClaudePermissions.Default with { Mode = mode },
    };

    /// <summary>
    /// Authorized when an API key or OAuth token is in the environment, a cloud provider is selected, or the CLI's own
    /// login left its credentials file.
    /// </summary>
    public RuntimeAvailability CheckAvailability(string executable, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (RuntimeCredentials.AnySet(environment, "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
                "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"))
        {
            return RuntimeAvailability.Ready;
        }

        var configDirectory = RuntimeCredentials.Get(environment, "CLAUDE_CONFIG_DIR") ?? RuntimeCredentials.InHome(environment, ".claude");
        return configDirectory is not null && File.Exists(Path.Combine(configDirectory, ".credentials.json"))
            ? RuntimeAvailability.Ready
            : RuntimeAvailability.Unauthorized("no ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN or `claude login` credentials");
    }
}
