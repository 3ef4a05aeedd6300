using System.Runtime.CompilerServices;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Process;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Sandbox;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Runtimes;

/// <summary>
/// Starts Claude Code for a session: <c>claude -p --output-format stream-json --verbose</c> with the session id
/// chosen up front (or <c>--resume</c>), our work protocol appended to its system prompt, the agent's model and
/// permission mode, in its own process group; its stdout parsed line by line into <see cref="AgentEvent"/>s. Live input:
/// the prompt is the first stream-json user message on its stdin (<c>--input-format stream-json
/// --replay-user-messages</c>), which stays open so people's messages reach the agent mid-run
/// (<see cref="IAgentProcess.TrySendAsync"/>); the supervisor closes it when a turn ends with nothing pending, and the
/// CLI then exits.
/// </summary>
/// <param name="sandbox">Where the agent runs; null (tests of the launcher alone) runs it as the daemon's user with its view.</param>
public sealed class ClaudeCodeLauncher(TimeProvider timeProvider, ILogger logger, AgentSandbox? sandbox = null) : IAgentLauncher
{
    private static readonly bool RunningAsRoot = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    public IAgentProcess Start(AgentLaunchSpec spec)
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

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in spec.Environment)
        {
            if (value is not null)
            {
                environment[name] = value;
            }
        }

        foreach (var (name, value) in permissions.RequiredEnvironment(RunningAsRoot))
        {
            environment[name] = value;
        }

        try
        {
            var options = new AgentProcessOptions
            {
                Executable = command.Executable,
                Arguments = command.Arguments,
                Environment = environment,
                WorkingDirectory = spec.WorkingDirectory,
                StandardInput = command.StandardInput,
                KeepStandardInputOpen = command.KeepInputOpen,
            };
            var process = AgentProcess.Start(sandbox?.Wrap(options) ?? options, timeProvider, logger);
            return new ClaudeAgentProcess(process, sandbox, spec.WorkingDirectory, spec.ResumeToken ?? spec.ProviderSessionId);
        }
        catch (AgentProcessStartException e)
        {
            throw new AgentLaunchException(e.Message, e);
        }
        catch (IOException e)
        {
            // Making the sandbox's private temp dir failed.
            throw new AgentLaunchException(e.Message, e);
        }
    }

    /// <summary>The agent's permission mode: unset → acceptEdits with the default tools (works as root and as a user).</summary>
    public static ClaudePermissions Permissions(string? mode) => mode switch
    {
        null or "" or "acceptEdits" => ClaudePermissions.Default,
        "bypassPermissions" => ClaudePermissions.Bypass,
        _ => ClaudePermissions.Default with { Mode = mode },
    };

    private sealed class ClaudeAgentProcess(AgentProcess process, AgentSandbox? sandbox, string workingDirectory, string sessionId) : IAgentProcess
    {
        private readonly ClaudeStreamJsonParser _parser = new();

        public int ProcessId => process.ProcessId;

        public Task<bool> TrySendAsync(AgentInputMessage message, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(message);
            if (!process.InputOpen)
            {
                return Task.FromResult(false);
            }

            // The id goes out as the message's uuid; the CLI echoes it back (--replay-user-messages) when the model sees it.
            var id = Guid.TryParse(message.Id, out var uuid) ? uuid : throw new ArgumentException("the message id must be a UUID", nameof(message));
            return process.WriteInputAsync(ClaudeArgs.StreamJsonUserMessage(message.Text, sessionId, id), cancellationToken);
        }

        public void EndInput() => process.CloseInput();

        public async IAsyncEnumerable<AgentOutput> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var events = new List<AgentEvent>(4);
            await foreach (var line in process.Output.ReadAllAsync(cancellationToken))
            {
                switch (line.Kind)
                {
                    case OutputLineKind.TooLong:
                        yield return AgentOutput.Skipped($"line {line.Number} of {line.Length} bytes is longer than the limit");
                        continue;
                    case OutputLineKind.InvalidUtf8:
                        yield return AgentOutput.Skipped($"line {line.Number} is not UTF-8 text (binary output)");
                        continue;
                }

                events.Clear();
                var result = _parser.Parse(line.Bytes.Span, events);
                if (result.Outcome == LineOutcome.Skipped)
                {
                    yield return AgentOutput.Skipped($"line {line.Number}: {result.Reason}{(result.Detail is null ? "" : " (" + result.Detail + ")")}");
                    continue;
                }

                foreach (var agentEvent in events)
                {
                    yield return AgentOutput.Of(agentEvent);
                }
            }
        }

        public async Task<AgentExit> WaitForExitAsync(CancellationToken cancellationToken)
        {
            var exit = await process.Exited.WaitAsync(cancellationToken);
            exit = sandbox?.AgentExit(exit) ?? exit;
            var tail = process.StandardErrorTail;
            return exit switch
            {
                { ExitCode: 0 } => new AgentExit(RunExit.Clean, 0, null, tail),
                { ExitCode: { } code } => new AgentExit(RunExit.ExitCode, code, null, tail),
                { Signal: { } signal } => new AgentExit(RunExit.Signal, null, signal, tail),
                _ => new AgentExit(RunExit.Signal, null, null, tail),
            };
        }

        public Task StopAsync(TimeSpan grace, CancellationToken cancellationToken) => process.StopAsync(grace, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await process.DisposeAsync();
            sandbox?.Release(workingDirectory);
        }
    }
}
