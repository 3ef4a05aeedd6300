using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;

namespace AgentKanban.Agents.Codex;

/// <summary>
/// OpenAI's Codex CLI: <c>codex exec --json</c> for a new thread, <c>codex exec resume --json THREAD</c> to continue one
/// (see <see cref="CodexArgs"/>). The thread id comes from the first line (<c>thread.started</c>) and is the resume token;
/// the daemon's chosen session id is not used, as Codex picks its own. Our work protocol goes in as Codex's
/// <c>developer_instructions</c>. No live input: messages wait for the next launch. The agent's permission mode is not
/// used: <c>codex exec</c> never asks for approval, and what the agent may touch is decided by the sandbox (the daemon's,
/// or Codex's own <c>workspace-write</c> when the daemon runs without one).
/// <para>
/// Codex prints a thread's running token total and, for a usage limit, only a sentence; the numbers are in its session
/// file (<see cref="CodexRollout"/>). At launch the thread's total so far is read from it, so each turn reports its own
/// tokens; when the output has ended, the part of the file this run wrote gives the usage windows and, for a usage limit,
/// the reset (<see cref="CodexJsonParser.Complete"/>). The daemon's sandbox leaves <c>$HOME</c> (and so
/// <c>$CODEX_HOME</c>) where the daemon sees it.
/// </para>
/// </summary>
public sealed class CodexRuntime : IAgentRuntime
{
    public static CodexRuntime Instance { get; } = new();

    public string Name => RuntimeNames.Codex;

    public string ExecutableName => "codex";

    public IAgentProcess Start(AgentLaunchSpec spec, IAgentHost host)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(host);
        var codexHome = CodexRollout.CodexHome(spec.Environment);
        var resumed = spec.ResumeToken;
        var sessionFile = resumed is not null && codexHome is not null ? CodexRollout.Find(codexHome, resumed, host.TimeProvider.GetUtcNow()) : null;
        var before = sessionFile is not null ? CodexRollout.Read(sessionFile) : CodexRolloutSummary.Empty;

        var process = host.Spawn(ProcessOptions(spec));
        var parser = new CodexJsonParser(before.TotalUsage ?? default, spec.Model, spec.WorkingDirectory);
        return new LineAgentProcess(process, host, spec.WorkingDirectory, parser, new LineAgentHooks
        {
            OutputEnded = (events, _) =>
            {
                var thread = parser.ThreadId ?? resumed;
                CodexRolloutSummary? written = null;
                if (codexHome is not null && thread is not null)
                {
                    // Only what this run appended: the windows and the failure of earlier runs are not this run's.
                    var path = thread == resumed && sessionFile is not null ? sessionFile : CodexRollout.Find(codexHome, thread, host.TimeProvider.GetUtcNow());
                    written = path is null ? null : CodexRollout.Read(path, path == sessionFile ? before.Length : 0);
                }

                parser.Complete(written, process.StandardErrorTail, events);
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>The process options for one run.</summary>
    public static AgentProcessOptions ProcessOptions(AgentLaunchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var instructions = string.IsNullOrWhiteSpace(spec.SystemPrompt) ? null : spec.SystemPrompt;
        var asDeveloperMessage = instructions is not null && CodexArgs.FitsAsDeveloperInstructions(instructions);
        CodexCommand command;
        try
        {
            command = CodexArgs.Build(new CodexLaunch
            {
                // Too long for an argument: the protocol goes before the prompt of a new thread instead.
                Prompt = asDeveloperMessage || instructions is null ? spec.Prompt : spec.PromptWithSystemPrompt(),
                ThreadId = spec.ResumeToken,
                Model = spec.Model,
                DeveloperInstructions = asDeveloperMessage ? instructions : null,
                ExternallySandboxed = spec.Sandboxed,
                WritableRoots = spec.Sandboxed ? [] : CodexGitRoots.For(spec.WorkingDirectory),
            });
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

    public RuntimeAvailability CheckAvailability(string executable, IReadOnlyDictionary<string, string?> environment) =>
        CodexCredentials.Check(environment);

    /// <summary>The models in the catalog bundled with the CLI (<see cref="CodexModels"/>).</summary>
    public Task<IReadOnlyList<RuntimeModel>?> ListModelsAsync(string executable, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
        CodexModels.ListAsync(executable, environment, cancellationToken);
}
