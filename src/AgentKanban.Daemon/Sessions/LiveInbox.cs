using AgentKanban.Agents.Runtimes;
using System.Threading.Channels;
using AgentKanban.Contracts;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Runtimes;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// People's messages for one running agent process, handed over while it works (live input). Messages come from the
/// machine's event stream (<see cref="Offer"/>, within moments of being posted) and from a look at the task right after
/// the start and then every <see cref="DaemonOptions.LiveMessagePollInterval"/> (a stream that was down misses nothing),
/// and go out in order, one at a time, each with an id of its own. One is recorded as delivered
/// (<see cref="HumanMessages.AcceptedAsync"/>) only when the runtime echoes that id back — the conversation has it — so a
/// crash before that hands it over at the next launch instead. When a turn ends with nothing written and unanswered, the
/// input is closed and the agent ends as it would without live input; a message the runtime has not taken yet keeps it
/// open (it starts another turn with it), for at most <see cref="AckPatience"/> without a word.
/// A runtime without live input (<see cref="IAgentProcess.TrySendAsync"/> false) closes the inbox at once: its messages
/// wait for the next launch as before.
/// </summary>
internal sealed class LiveInbox
{
    /// <summary>How long a turn's end waits for the runtime to take a message written to it before the input is closed anyway.</summary>
    public static readonly TimeSpan AckPatience = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly Channel<MessageDto> _incoming = Channel.CreateBounded<MessageDto>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly RunningAgent _run;
    private readonly IAgentProcess _process;
    private readonly HumanMessages _messages;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Ids of the messages this agent has or is being given (its prompt, written now, recorded before): never sent again.
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    // Written to the runtime and not yet acknowledged, by the id they went out with.
    private readonly Dictionary<string, MessageDto> _unacknowledged = new(StringComparer.Ordinal);
    private bool _closed;
    private long _progress;

    public LiveInbox(
        RunningAgent run,
        IAgentProcess process,
        HumanMessages messages,
        IEnumerable<MessageDto> inPrompt,
        TimeSpan pollInterval,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _run = run;
        _process = process;
        _messages = messages;
        _pollInterval = pollInterval;
        _time = timeProvider;
        _logger = logger;
        foreach (var message in inPrompt)
        {
            _known.Add(message.Id);
        }
    }

    /// <summary>A message posted on the agent's task (from the event stream); people's messages only are handed over.</summary>
    public void Offer(MessageDto message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.SenderType == "user")
        {
            _incoming.Writer.TryWrite(message);
        }
    }

    /// <summary>Hands messages over until the run ends: a look at the task first, then offered ones and a periodic look.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var recorded = await _messages.DeliveredIdsAsync(_run.Session, cancellationToken);
            lock (_gate)
            {
                _known.UnionWith(recorded);
            }

            foreach (var message in await _messages.PendingAsync(_run.Session, null, cancellationToken))
            {
                await SendAsync(message, cancellationToken);
            }

            while (!cancellationToken.IsCancellationRequested && !IsClosed())
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var poll = Task.Delay(_pollInterval, _time, wait.Token);
                var offered = _incoming.Reader.WaitToReadAsync(wait.Token).AsTask();
                var first = await Task.WhenAny(poll, offered);
                await wait.CancelAsync();
                await Task.WhenAll(Quietly(poll), Quietly(offered));
                cancellationToken.ThrowIfCancellationRequested();
                if (first == poll)
                {
                    foreach (var message in await _messages.PendingAsync(_run.Session, null, cancellationToken))
                    {
                        await SendAsync(message, cancellationToken);
                    }
                }

                while (_incoming.Reader.TryRead(out var message))
                {
                    await SendAsync(message, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run ended.
        }
    }

    /// <summary>The runtime echoed a message back: the conversation has it. Recorded as delivered.</summary>
    public async Task AcceptedAsync(string? id)
    {
        if (id is null)
        {
            return;
        }

        MessageDto? message;
        lock (_gate)
        {
            _progress++;
            if (!_unacknowledged.Remove(id, out message))
            {
                return; // The prompt's own echo, or not ours.
            }
        }

        await _messages.AcceptedAsync(_run.Session, message, _time.GetUtcNow());
        DaemonLog.LiveMessageAccepted(_logger, _run.Session.Id, message.Id);
    }

    /// <summary>
    /// A turn ended. With nothing unacknowledged (or <paramref name="endNow"/>: the run should end, a rate limit say) the
    /// input is closed and the agent ends; otherwise it stays open for the turn the runtime starts with the pending
    /// message, and is closed after <see cref="AckPatience"/> if nothing happens meanwhile.
    /// </summary>
    public void TurnEnded(bool endNow, CancellationToken runEnded)
    {
        long mark;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (endNow || _unacknowledged.Count == 0)
            {
                CloseLocked(endNow ? "the run ends" : "the turn ended with no message pending");
                return;
            }

            _progress++;
            mark = _progress;
        }

        _ = CloseIfSilentAsync(mark, runEnded);
    }

    /// <summary>No more input (the run is being stopped, say); later messages wait for the next launch.</summary>
    public void Close(string reason)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                CloseLocked(reason);
            }
        }
    }

    private async Task CloseIfSilentAsync(long mark, CancellationToken runEnded)
    {
        try
        {
            await Task.Delay(AckPatience, _time, runEnded);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            if (!_closed && _progress == mark)
            {
                CloseLocked("the runtime did not take the pending message");
            }
        }
    }

    private bool IsClosed()
    {
        lock (_gate)
        {
            return _closed;
        }
    }

    private void CloseLocked(string reason)
    {
        _closed = true;
        _process.EndInput();
        DaemonLog.LiveInputClosed(_logger, _run.Session.Id, reason);
    }

    private async Task SendAsync(MessageDto message, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("D");
        lock (_gate)
        {
            if (_closed || !_known.Add(message.Id))
            {
                return;
            }

            // Counted before it is written: a turn that ends meanwhile keeps the input open for it.
            _unacknowledged[id] = message;
        }

        bool sent;
        try
        {
            sent = await _process.TrySendAsync(new AgentInputMessage(id, Prompts.LiveMessage(message)), cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            DaemonLog.LiveMessageFailed(_logger, _run.Session.Id, e.Message);
            sent = false;
        }

        lock (_gate)
        {
            if (sent)
            {
                DaemonLog.LiveMessageSent(_logger, _run.Session.Id, message.Id);
                return;
            }

            // Not handed over: it waits for the next launch. This runtime (or this process) takes no more input.
            _unacknowledged.Remove(id);
            _known.Remove(message.Id);
            if (!_closed)
            {
                _closed = true;
                DaemonLog.LiveInputClosed(_logger, _run.Session.Id, "the agent takes no input");
            }
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
            // Cancelled on purpose.
        }
    }
}
