using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Gemini;

/// <summary>
/// The Gemini CLI: <c>gemini --output-format stream-json</c> headless, one turn per run, the conversation named up front
/// (<c>--session-id</c>) and continued with <c>--resume</c> from the same working directory. The CLI has no way to add to
/// its system prompt (<c>GEMINI_SYSTEM_MD</c> replaces it whole), so our work protocol goes in front of a new
/// conversation's prompt. No live input: messages wait for the next run. Rate limits arrive as the text of a failed
/// result (see <see cref="GeminiRateLimits"/>); failures the CLI reports only through its exit code and standard error
/// (an unknown session on resume, no usable authentication, an untrusted folder) are turned into events once the output
/// has ended.
/// <para>
/// The CLI takes a refused prompt back out of its session file, and a session with no prompt in it cannot be resumed:
/// when the very first call of a new conversation is refused, the resume after the reset finds no session and reports
/// <see cref="ProviderErrors.ConversationNotFound"/>, and the daemon starts a new conversation that carries the task.
/// A refusal later on resumes the same conversation (the CLI marks the unanswered turn as interrupted).
/// </para>
/// </summary>
public sealed class GeminiRuntime : IAgentRuntime
{
    /// <summary>The CLI's exit code when its authentication is not set up.</summary>
    public const int ExitAuthMethod = 41;

    /// <summary>The CLI's exit code for a bad argument, such as a resume of a session it does not have.</summary>
    public const int ExitBadInput = 42;

    /// <summary>The CLI's exit code when the folder is not trusted.</summary>
    public const int ExitUntrustedFolder = 55;

    public static GeminiRuntime Instance { get; } = new();

    public string Name => RuntimeNames.Gemini;

    public string ExecutableName(IReadOnlyDictionary<string, string?> environment) => "gemini";

    public IAgentProcess Start(AgentLaunchSpec spec, IAgentHost host)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(host);
        var process = host.Spawn(ProcessOptions(spec));
        var parser = new GeminiStreamJsonParser(host.TimeProvider);
        return new LineAgentProcess(process, host, spec.WorkingDirectory, parser, new LineAgentHooks
        {
            OutputEnded = async (events, cancellationToken) =>
            {
                if (parser.SawResult)
                {
                    return;
                }

                var exit = host.AgentExit(await process.Exited.WaitAsync(cancellationToken));
                if (ExitError(exit.ExitCode, process.StandardErrorTail, spec.ResumeToken is not null) is { } error)
                {
                    events.Add(error);
                }
            },
        });
    }

    /// <summary>The process options for one run.</summary>
    public static AgentProcessOptions ProcessOptions(AgentLaunchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        GeminiCommand command;
        try
        {
            command = GeminiArgs.Build(new GeminiLaunch(
                spec.PromptWithSystemPrompt(),
                spec.ResumeToken ?? spec.ProviderSessionId,
                spec.ResumeToken is not null,
                spec.Model,
                GeminiArgs.ApprovalMode(spec.PermissionMode)));
        }
        catch (ArgumentException e)
        {
            throw new AgentLaunchException(e.Message, e);
        }

        return new AgentProcessOptions
        {
            Executable = spec.Executable,
            Arguments = command.Arguments,
            Environment = spec.ProcessEnvironment(),
            WorkingDirectory = spec.WorkingDirectory,
            // Spelled out: a bare null here would convert to an empty (non-null) ReadOnlyMemory through byte[].
            StandardInput = command.StandardInput is { } input ? new ReadOnlyMemory<byte>(input) : (ReadOnlyMemory<byte>?)null,
        };
    }

    /// <summary>
    /// The event for a run that printed no result: the CLI stopped before its turn, saying why only through its exit
    /// code and standard error. Null when there is nothing specific to say (the daemon reports the exit itself).
    /// </summary>
    public static AgentError? ExitError(int? exitCode, string? standardError, bool resumed)
    {
        var tail = LastLines(standardError);
        if (resumed && standardError?.Contains("Error resuming session", StringComparison.Ordinal) == true)
        {
            // "Invalid session identifier" (the project has other sessions) or "No previous sessions found for this
            // project": the session files under the CLI's home are gone, or the run is in another directory. Nothing ran.
            return new AgentError(ProviderErrors.ConversationNotFound, tail ?? "the Gemini CLI has no session with that id", IsRateLimitFallback: false);
        }

        return exitCode switch
        {
            ExitAuthMethod => new AgentError(GeminiErrorCodes.AuthenticationFailed,
                "the Gemini CLI has no usable authentication (exit 41): set GEMINI_API_KEY, GOOGLE_API_KEY or Vertex AI, or run `gemini` once to log in"
                + (tail is null ? "" : ": " + tail), IsRateLimitFallback: false),
            ExitUntrustedFolder => new AgentError(GeminiErrorCodes.UntrustedFolder,
                "the Gemini CLI refused to work in an untrusted folder (exit 55)" + (tail is null ? "" : ": " + tail), IsRateLimitFallback: false),
            _ => null,
        };
    }

    /// <summary>
    /// Authorized with an API key (<c>GEMINI_API_KEY</c>, <c>GOOGLE_API_KEY</c>), Vertex AI (<c>GOOGLE_GENAI_USE_VERTEXAI</c>
    /// or <c>GOOGLE_APPLICATION_CREDENTIALS</c>), or the CLI's own Google login (<c>.gemini/oauth_creds.json</c> under
    /// <c>GEMINI_CLI_HOME</c>, else <c>HOME</c>).
    /// </summary>
    public RuntimeAvailability CheckAvailability(string executable, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (RuntimeCredentials.AnySet(environment, "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS")
            || string.Equals(RuntimeCredentials.Get(environment, "GOOGLE_GENAI_USE_VERTEXAI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return RuntimeAvailability.Ready;
        }

        var home = RuntimeCredentials.Get(environment, "GEMINI_CLI_HOME") ?? RuntimeCredentials.Get(environment, "HOME");
        return home is not null && File.Exists(Path.Combine(home, ".gemini", "oauth_creds.json"))
            ? RuntimeAvailability.Ready
            : RuntimeAvailability.Unauthorized("no GEMINI_API_KEY, GOOGLE_API_KEY, Vertex AI settings or `gemini` login credentials");
    }

    private static string? LastLines(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        // The CLI's banner lines ("YOLO mode is enabled", colour warnings) come first; the reason comes last.
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tail = string.Join(" ", lines.TakeLast(3));
        return tail.Length > 600 ? tail[^600..] : tail;
    }
}
