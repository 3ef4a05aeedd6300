using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Agents.Copilot;

/// <summary>
/// GitHub Copilot CLI: one headless run per launch (<see cref="CopilotArgs"/>), its JSON event lines read by
/// <see cref="CopilotJsonParser"/>, standard input empty (the CLI takes no input mid-run here). The CLI has no option that
/// adds to its system prompt, so our work protocol goes before the prompt of a new conversation. Its own command sandbox is
/// off unless a user turns it on, so nothing nests inside the daemon's sandbox.
/// <para>
/// Tokens are not in the CLI's output: they are read from the session's event log in the CLI's home
/// (<see cref="CopilotSessionFiles"/>), which the daemon can read after the run (unlike the agent's private temp dir).
/// The session's total is taken before the launch and again when the output has ended; the difference is the run's
/// usage, reported with its <see cref="TurnEnded"/>. A run killed before its end reports nothing, and the next run's
/// "before" already contains what it used: a kill can lose the interrupted run's tokens, never count any twice.
/// </para>
/// <para>
/// A resume of a session the CLI no longer has prints nothing and exits 1; when the run printed no event and the session's
/// log is missing (or the CLI said so on stderr), it is reported as <see cref="ProviderErrors.ConversationNotFound"/>.
/// </para>
/// </summary>
public sealed class CopilotRuntime : IAgentRuntime
{
    public static CopilotRuntime Instance { get; } = new();

    public string Name => RuntimeNames.Copilot;

    public string ExecutableName(IReadOnlyDictionary<string, string?> environment) => "copilot";

    public IAgentProcess Start(AgentLaunchSpec spec, IAgentHost host)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(host);
        var resume = spec.ResumeToken is not null;
        var sessionId = spec.ResumeToken ?? spec.ProviderSessionId;
        var options = ProcessOptions(spec);
        var home = CopilotSessionFiles.Home(spec.Environment);
        var eventsFile = home is null ? null : CopilotSessionFiles.EventsFile(home, sessionId);
        var before = eventsFile is null ? TokenUsage.Zero : ReadUsage(eventsFile, host.Logger);
        var parser = new CopilotJsonParser(sessionId, spec.Model, spec.WorkingDirectory, host.TimeProvider);
        var process = host.Spawn(options);
        return new LineAgentProcess(process, host, spec.WorkingDirectory, parser, new LineAgentHooks
        {
            OutputEnded = (events, _) =>
            {
                if (resume && !parser.SawEvents && IsUnknownSession(eventsFile, process.StandardErrorTail))
                {
                    events.Add(new AgentError(ProviderErrors.ConversationNotFound,
                        $"Copilot has no session {sessionId} to resume (its session log is gone)", IsRateLimitFallback: false));
                }

                var used = eventsFile is null ? TokenUsage.Zero : CopilotSessionFiles.Delta(before, ReadUsage(eventsFile, host.Logger));
                parser.Complete(events, used);
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>
    /// A resume that printed no event found no session: the CLI finds a session by its log (<c>events.jsonl</c>), which it
    /// writes lazily, so a run killed early can leave a session folder the CLI no longer knows; it then says
    /// "No session, task, or name matched" on stderr and exits 1.
    /// </summary>
    internal static bool IsUnknownSession(string? eventsFile, string? standardError) =>
        (eventsFile is not null && !File.Exists(eventsFile))
        || (standardError?.Contains("No session", StringComparison.OrdinalIgnoreCase) ?? false);

    /// <summary>The process options for one run.</summary>
    public static AgentProcessOptions ProcessOptions(AgentLaunchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        IReadOnlyList<string> arguments;
        try
        {
            arguments = CopilotArgs.Build(spec.PromptWithSystemPrompt(), spec.ResumeToken ?? spec.ProviderSessionId, spec.ResumeToken is not null,
                spec.Model, spec.PermissionMode);
        }
        catch (ArgumentException e)
        {
            throw new AgentLaunchException(e.Message, e);
        }

        return new AgentProcessOptions
        {
            Executable = spec.Executable,
            Arguments = arguments,
            Environment = spec.ProcessEnvironment(),
            WorkingDirectory = spec.WorkingDirectory,
        };
    }

    /// <summary>
    /// Authorized with a provider of one's own (<c>COPILOT_PROVIDER_BASE_URL</c>, which needs no GitHub login, or its key
    /// variables), a GitHub token in the environment, or the CLI's own login recorded in its config file.
    /// </summary>
    public RuntimeAvailability CheckAvailability(string executable, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (RuntimeCredentials.AnySet(environment, "COPILOT_PROVIDER_BASE_URL", "COPILOT_PROVIDER_API_KEY", "COPILOT_PROVIDER_BEARER_TOKEN",
                "COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"))
        {
            return RuntimeAvailability.Ready;
        }

        return CopilotSessionFiles.Home(environment) is { } home && CopilotLogin.HasLoggedInUser(Path.Combine(home, "config.json"))
            ? RuntimeAvailability.Ready
            : RuntimeAvailability.Unauthorized("no COPILOT_PROVIDER_BASE_URL, COPILOT_GITHUB_TOKEN/GH_TOKEN/GITHUB_TOKEN or `copilot login` user");
    }

    private static TokenUsage ReadUsage(string eventsFile, ILogger logger)
    {
        try
        {
            return CopilotSessionFiles.ReadUsage(eventsFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Usage is informational: a log that cannot be read costs the counters, never the run.
            CopilotLog.UsageUnreadable(logger, e, eventsFile);
            return TokenUsage.Zero;
        }
    }
}
