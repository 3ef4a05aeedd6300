using AgentKanban.Core.Policies;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentKanban.Server.Streams;

/// <summary>
/// The one reader of the event log per server instance. On every wake-up (a local commit, a NOTIFY from
/// another instance, or the safety poll) it reads the new rows once and publishes a new
/// <see cref="EventWindow"/>; all subscribers fan out from that window, so N clients cost one query, not N.
/// </summary>
internal sealed partial class EventFeed(
    IEventLog log,
    EventBroadcaster signal,
    IOptions<EventStreamOptions> options,
    TimeProvider timeProvider,
    ILogger<EventFeed> logger) : BackgroundService
{
    private readonly EventStreamOptions _options = options.Value;
    private readonly TaskCompletionSource<EventWindow> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EventWindow? _current;

    /// <summary>The latest window, once the feed has read the log's starting point.</summary>
    public async ValueTask<EventWindow> CurrentAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        return current ?? await _ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            _ready.TrySetCanceled(stoppingToken);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var latest = await StartingPointAsync(stoppingToken).ConfigureAwait(false);

        // One long-lived poll timer, restarted only when it fires (not a new timer per wake-up). Armed before the
        // feed reports ready, so whoever saw it ready can count on the timer.
        var poll = Task.Delay(_options.SafetyPollInterval, timeProvider, stoppingToken);
        Publish(EventWindow.Empty(latest));
        _ready.TrySetResult(Volatile.Read(ref _current)!);
        var force = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = signal.NextSignal();
            if (poll.IsCompleted)
            {
                force = true;
                poll = Task.Delay(_options.SafetyPollInterval, timeProvider, stoppingToken);
            }

            force |= signal.TakeForcedRead();
            if (force || signal.LatestKnownId > _current!.CoveredTo)
            {
                force = false;
                if (!await TryReadNewAsync(stoppingToken).ConfigureAwait(false))
                {
                    // The database is unreachable: wait for the poll rather than spinning on every notification.
                    await poll.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }
            }

            await Task.WhenAny(next, poll).ConfigureAwait(false);
        }
    }

    private async Task<long> StartingPointAsync(CancellationToken stoppingToken)
    {
        // 200 ms doubling up to the safety poll interval, no jitter.
        var retry = new RetryOptions(TimeSpan.FromMilliseconds(200), _options.SafetyPollInterval, MaxAttempts: 0, JitterFraction: 0);
        for (var failures = 1; ; failures++)
        {
            try
            {
                return await log.GetLatestIdAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReadFailed(logger, ex);
            }

            await Task.Delay(RetryPolicy.Delay(failures, retry, jitterUnit: 0), timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> TryReadNewAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                var current = _current!;
                var batch = await log.ReadAsync(current.CoveredTo, upToId: null, scope: null, _options.ReadBatchSize, stoppingToken).ConfigureAwait(false);
                StreamMetrics.FeedReads.Add(1);
                if (batch.Count == 0)
                {
                    return true;
                }

                Publish(current.Append(batch, _options.WindowCapacity));
                if (batch.Count < _options.ReadBatchSize)
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReadFailed(logger, ex);
            return false;
        }
    }

    private void Publish(EventWindow window)
    {
        var previous = Interlocked.Exchange(ref _current, window);
        previous?.MarkReplaced();
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Reading the event log for live streams failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
