using System.Runtime.CompilerServices;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// One ACP agent process, driven through an <see cref="AcpConversation"/>: its stdout lines go in, the conversation's
/// answers go to its stdin (which stays open: ACP is a dialogue) and its events come out of <see cref="ReadAsync"/>.
/// ACP agents do not exit when a turn ends, nor when their input closes: once the conversation is over the input is
/// closed and the process group stopped (SIGTERM, a short grace, SIGKILL), and the run's exit is what the protocol said
/// — clean after a completed turn, status 1 after a failed one — not the signal that ended it.
/// The handshake (<c>initialize</c> up to the session being open) is bounded: a hung agent fails the run with a
/// transient <c>timeout</c> error instead of holding the daemon.
/// </summary>
public sealed class AcpAgentProcess : IAgentProcess
{
    private readonly AgentProcess _process;
    private readonly IAgentHost _host;
    private readonly string _workingDirectory;
    private readonly AcpConversation _conversation;
    private readonly TimeSpan _handshakeTimeout;
    private readonly TimeSpan _stopGrace;
    private readonly TimeSpan _settle;
    private Task? _stopping;

    /// <param name="settle">
    /// Once a session's turn is over, how long the agent may wind down before it is stopped: an agent that runs another
    /// CLI underneath (claude-agent-acp runs Claude Code) may still be writing the conversation it reported as done, and a
    /// resume needs all of it.
    /// </param>
    public AcpAgentProcess(
        AgentProcess process, IAgentHost host, string workingDirectory, AcpConversation conversation, TimeSpan handshakeTimeout, TimeSpan stopGrace, TimeSpan settle)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(conversation);
        _process = process;
        _host = host;
        _workingDirectory = workingDirectory;
        _conversation = conversation;
        _handshakeTimeout = handshakeTimeout;
        _stopGrace = stopGrace;
        _settle = settle;
    }

    public int ProcessId => _process.ProcessId;

    /// <summary>Live input: the message becomes the next prompt of the session once the current one has ended.</summary>
    public Task<bool> TrySendAsync(AgentInputMessage message, CancellationToken cancellationToken) =>
        Task.FromResult(_process.InputOpen && _conversation.TryQueue(message));

    /// <summary>
    /// Nothing to do: the agent's input carries the protocol's own answers (permission requests arrive mid-turn), so it
    /// stays open until the conversation is over — the last prompt ended with no message queued — which ends the run.
    /// </summary>
    public void EndInput()
    {
    }

    public async IAsyncEnumerable<AgentOutput> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = new List<AgentEvent>(4);
        var outgoing = new List<byte[]>(2);
        _conversation.Begin(outgoing);
        Write(outgoing);

        using var handshake = new CancellationTokenSource(_handshakeTimeout, _host.TimeProvider);
        using var handshakeOrCaller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handshake.Token);
        var reader = _process.Output;
        while (true)
        {
            var timedOut = false;
            bool more;
            try
            {
                // Until the session is open the agent must answer within the handshake timeout; then the daemon's own
                // stall watchdog and task timeout watch the turn.
                var token = _conversation.Phase < AcpPhase.Prompting ? handshakeOrCaller.Token : cancellationToken;
                more = await reader.WaitToReadAsync(token);
            }
            catch (OperationCanceledException) when (handshake.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                more = true;
                timedOut = true;
            }

            if (timedOut)
            {
                events.Clear();
                _conversation.TimedOut(_handshakeTimeout, events);
                foreach (var agentEvent in events)
                {
                    yield return AgentOutput.Of(agentEvent);
                }

                EndConversation();
                continue;
            }

            if (!more)
            {
                break;
            }

            while (reader.TryRead(out var line))
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
                outgoing.Clear();
                var result = _conversation.Receive(line.Bytes.Span, events, outgoing);
                Write(outgoing);
                if (result.Outcome == LineOutcome.Skipped)
                {
                    yield return AgentOutput.Skipped($"line {line.Number}: {result.Reason}{(result.Detail is null ? "" : " (" + result.Detail + ")")}");
                }

                foreach (var agentEvent in events)
                {
                    yield return AgentOutput.Of(agentEvent);
                }

                if (_conversation.Finished)
                {
                    EndConversation();
                }
            }
        }
    }

    public async Task<AgentExit> WaitForExitAsync(CancellationToken cancellationToken)
    {
        var exit = _host.AgentExit(await _process.Exited.WaitAsync(cancellationToken));
        if (_conversation.Finished)
        {
            // Ended by us once the conversation was over: the protocol's verdict, not the signal, is how the run went.
            return _conversation.Failed
                ? new AgentExit(RunExit.ExitCode, 1, null, _process.StandardErrorTail)
                : new AgentExit(RunExit.Clean, 0, null, _process.StandardErrorTail);
        }

        return LineAgentProcess.ToAgentExit(exit, _process.StandardErrorTail);
    }

    public Task StopAsync(TimeSpan grace, CancellationToken cancellationToken) => _process.StopAsync(grace, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_stopping is { } stopping)
        {
            try
            {
                await stopping;
            }
            catch (OperationCanceledException)
            {
                // Disposal stops the group below anyway.
            }
        }

        await _process.DisposeAsync();
        _host.Release(_workingDirectory);
    }

    /// <summary>Writes without waiting: an agent that stops reading must not stall the reader (the writer keeps order).</summary>
    private void Write(List<byte[]> outgoing)
    {
        foreach (var message in outgoing)
        {
            _ = _process.WriteInputAsync(message, CancellationToken.None);
        }
    }

    private void EndConversation()
    {
        if (_stopping is not null)
        {
            return;
        }

        _stopping = StopAsync();
    }

    private async Task StopAsync()
    {
        if (_conversation.SessionId is not null)
        {
            if (_conversation.CloseSession() is { } close)
            {
                _ = _process.WriteInputAsync(close, CancellationToken.None);
            }

            // The agent does not exit by itself; it may still be writing its session files. Whichever comes first.
            using var settled = new CancellationTokenSource();
            var delay = Task.Delay(_settle, _host.TimeProvider, settled.Token);
            await Task.WhenAny(_process.Exited, delay);
            await settled.CancelAsync();
        }

        _process.CloseInput();
        await _process.StopAsync(_stopGrace, CancellationToken.None);
    }
}
