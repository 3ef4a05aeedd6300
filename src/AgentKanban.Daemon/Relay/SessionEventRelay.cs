using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Relay;

/// <summary>
/// Relays one agent run's events to the server (<c>POST /api/sessions/{id}/events</c>, signed as the session) in
/// batches. The agent's output reader only ever calls <see cref="Post"/>, which never blocks: events go into a
/// bounded buffer that drops its oldest entries when the server cannot keep up (counted and logged). A background
/// loop collects a batch, numbers it (seqs reserved in the store first), and sends it until the server takes it,
/// with capped backoff. This is a live view, not a durable report: messages, usage and releases go through the outbox.
/// </summary>
internal sealed class SessionEventRelay : IAsyncDisposable
{
    private static readonly ContractsJsonContext Json = ContractsJsonContext.Default;

    private readonly Channel<Pending> _buffer;
    private readonly SessionRecord _session;
    private readonly BoardApiClient _api;
    private readonly AgentEventSeqs _seqs;
    private readonly AgentEventRelayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _dropped;
    private long _droppedLogged;
    private long _delivered;
    private int _inFlight;
    private volatile bool _completing;
    private volatile bool _refused;
    private int _disposed;

    public SessionEventRelay(SessionRecord session, BoardApiClient api, AgentEventSeqs seqs, AgentEventRelayOptions options, TimeProvider time, ILogger logger)
    {
        _session = session;
        _api = api;
        _seqs = seqs;
        _options = options;
        _time = time;
        _logger = logger;
        _buffer = Channel.CreateBounded<Pending>(
            new BoundedChannelOptions(Math.Max(1, options.BufferCapacity))
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
            },
            _ => Interlocked.Increment(ref _dropped));
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Events the server has taken.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Events dropped because the buffer was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The server refused this session's events for good (closed, gone, re-issued): nothing more is sent.</summary>
    public bool Stopped => _refused;

    /// <summary>Queues an event for the live view. Never blocks and never throws: the agent's reader must not wait on the network.</summary>
    public void Post(AgentEvent agentEvent, DateTimeOffset at)
    {
        if (_refused || agentEvent is SessionInitialized)
        {
            return;
        }

        _buffer.Writer.TryWrite(new Pending(agentEvent, at));
    }

    /// <summary>
    /// The run ended: delivers what is still buffered, giving up after <see cref="AgentEventRelayOptions.FinalFlushTimeout"/>
    /// (the server may be down; the run's ending must not wait for it).
    /// </summary>
    public async Task CompleteAsync()
    {
        _completing = true;
        _buffer.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(_options.FinalFlushTimeout, _time);
        }
        catch (TimeoutException)
        {
            RelayLog.Abandoned(_logger, _session.Id, _buffer.Reader.Count + Volatile.Read(ref _inFlight));
            await _stop.CancelAsync();
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await CompleteAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _buffer.Reader;
        List<AgentEventDto>? batch = null;
        var numbered = false;
        long next = 0;
        long reserved = -1;
        var attempt = 0;
        while (true)
        {
            try
            {
                if (batch is null)
                {
                    if (!await reader.WaitToReadAsync(cancellationToken))
                    {
                        return;
                    }

                    // Let a batch gather for a moment (unless it is full already or the run is over).
                    if (!_completing && reader.Count < _options.MaxBatchEvents)
                    {
                        await Task.Delay(_options.FlushInterval, _time, cancellationToken);
                    }

                    batch = Collect(reader);
                    numbered = false;
                    attempt = 0;
                    ReportDrops();
                    if (batch.Count == 0 || _refused)
                    {
                        batch = null;
                        continue;
                    }

                    Volatile.Write(ref _inFlight, batch.Count);
                }

                if (!numbered)
                {
                    if (reserved < 0)
                    {
                        reserved = await _seqs.ReservedAsync(_session.ServerSessionId, cancellationToken);
                        next = reserved + 1;
                    }

                    var last = next + batch.Count - 1;
                    if (last > reserved)
                    {
                        // Crash point: the reservation is durable before any seq in it is sent, so a restarted daemon
                        // numbers above everything the server may have seen from this session.
                        var upTo = last + Math.Max(0, _options.SeqReservationBlock);
                        await _seqs.ReserveAsync(_session.ServerSessionId, upTo, cancellationToken);
                        reserved = upTo;
                    }

                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i] = batch[i] with { Seq = next++ };
                    }

                    numbered = true;
                }

                await SendAsync(batch, cancellationToken);
                Interlocked.Add(ref _delivered, batch.Count);
                batch = null;
                Volatile.Write(ref _inFlight, 0);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ServerApiException e) when (!e.IsTransient)
            {
                if (e.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Conflict)
                {
                    // Closed, gone or re-issued: nothing later in this run will be taken either.
                    _refused = true;
                    RelayLog.Stopped(_logger, _session.Id, (int?)e.Status);
                }
                else
                {
                    RelayLog.Refused(_logger, _session.Id, batch?.Count ?? 0, (int?)e.Status, e.Message);
                }

                batch = null;
                Volatile.Write(ref _inFlight, 0);
            }
            catch (Exception e) when (e is ServerApiException or Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
            {
                // The server is unreachable or struggling (or the store is busy): keep the batch and try again later.
                attempt++;
                var delay = Backoff(attempt);
                if (e is ServerApiException)
                {
                    RelayLog.SendFailed(_logger, _session.Id, batch?.Count ?? 0, attempt, delay, e.Message);
                }
                else
                {
                    RelayLog.LoopFailed(_logger, _session.Id, e);
                }

                try
                {
                    await Task.Delay(delay, _time, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    private List<AgentEventDto> Collect(ChannelReader<Pending> reader)
    {
        var batch = new List<AgentEventDto>(Math.Min(reader.Count, _options.MaxBatchEvents));
        var bytes = 0;
        while (batch.Count < _options.MaxBatchEvents && bytes < _options.MaxBatchBytes && reader.TryRead(out var pending))
        {
            if (AgentEventMapper.Map(pending.Event, pending.At) is { } mapped)
            {
                batch.Add(mapped.Event);
                bytes += mapped.ApproxBytes;
            }
        }

        return batch;
    }

    private async Task SendAsync(List<AgentEventDto> batch, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new AgentEventBatchRequest { Events = batch }, Json.AgentEventBatchRequest);
        // A fresh short-lived token per attempt, signed with the session's key: the server files the events under it.
        var bearer = SessionToken.Create(_session.ServerSessionId, _api.Audience, _session.PrivateKey, _time.GetUtcNow());
        await _api.PostAgentEventsAsync(_session.ServerSessionId, body, bearer, cancellationToken);
    }

    private void ReportDrops()
    {
        var total = Interlocked.Read(ref _dropped);
        if (total > _droppedLogged)
        {
            RelayLog.Dropped(_logger, _session.Id, total - _droppedLogged, total);
            _droppedLogged = total;
        }
    }

    private TimeSpan Backoff(int attempt) =>
        RetryPolicy.Delay(attempt, new RetryOptions(_options.RetryBaseDelay, _options.RetryMaxDelay, MaxAttempts: 0, JitterFraction: 0), 0);

    private readonly record struct Pending(AgentEvent Event, DateTimeOffset At);
}
