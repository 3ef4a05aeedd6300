using System.Buffers;
using System.IO.Pipelines;
using System.Data.Common;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentKanban.Server.Streams;

/// <summary>
/// Runs one SSE response: sends every event of its scope after the cursor, in id order, then follows the
/// shared feed until the client goes away or the server stops. Old events (older than the feed's in-memory
/// window) are read from the log in bounded, scope-filtered batches.
/// </summary>
internal sealed partial class EventStreamPump(
    EventFeed feed,
    IEventLog log,
    IOptions<EventStreamOptions> options,
    TimeProvider timeProvider,
    ILogger<EventStreamPump> logger)
{
    // Flush inside a long catch-up so a big backlog is not buffered whole in memory.
    private const int FlushThresholdBytes = 64 * 1024;

    private readonly EventStreamOptions _options = options.Value;

    /// <summary>Writes the stream; <paramref name="afterId"/> is the last id the client has (events above it are sent).</summary>
    public async Task RunAsync(HttpResponse response, StreamScope scope, long afterId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(scope);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        StreamMetrics.Subscribers.Add(1);
        try
        {
            // The keep-alive timer exists before the headers go out, so a client that has seen the headers
            // can rely on the timer being armed (tests advance a fake clock at that point).
            var keepAlive = Task.Delay(_options.KeepAliveInterval, timeProvider, token);
            var writer = response.BodyWriter;
            await response.StartAsync(token).ConfigureAwait(false);
            if ((await writer.FlushAsync(token).ConfigureAwait(false)).IsCompleted)
            {
                return;
            }

            var cursor = afterId;
            var window = await feed.CurrentAsync(token).ConfigureAwait(false);

            // Task streams carry agent events, which the log prunes to the last N per session while the in-memory
            // window may still hold pruned ones. A task stream that starts in the past therefore catches up from the
            // log (retained events only) up to what the window covered when it connected, then follows the window.
            var logUpTo = scope.Kind == StreamKind.Task ? window.CoveredTo : 0;
            while (!token.IsCancellationRequested)
            {
                if (cursor < window.CoveredFrom || cursor < logUpTo)
                {
                    // Behind the in-memory window: read the gap from the log, filtered, one batch at a time.
                    var upTo = Math.Max(window.CoveredFrom, logUpTo);
                    var rows = await log.ReadAsync(cursor, upTo, scope, _options.ReadBatchSize, token).ConfigureAwait(false);
                    StreamMetrics.CatchUpReads.Add(1);
                    if (!await WriteAsync(writer, rows, scope, token).ConfigureAwait(false))
                    {
                        return;
                    }

                    cursor = rows.Count < _options.ReadBatchSize ? upTo : rows[^1].Id;
                    window = await feed.CurrentAsync(token).ConfigureAwait(false);
                    continue;
                }

                if (!await WriteWindowAsync(writer, window, cursor, scope, token).ConfigureAwait(false))
                {
                    return;
                }

                cursor = Math.Max(cursor, window.CoveredTo);
                await Task.WhenAny(window.Replaced, keepAlive).ConfigureAwait(false);
                if (keepAlive.IsCompleted)
                {
                    token.ThrowIfCancellationRequested();

                    // Re-armed before the comment goes out, for the same reason as the first timer.
                    keepAlive = Task.Delay(_options.KeepAliveInterval, timeProvider, token);
                    writer.Write(EventFrames.KeepAlive.Span);
                    if ((await writer.FlushAsync(token).ConfigureAwait(false)).IsCompleted)
                    {
                        return;
                    }
                }

                window = await feed.CurrentAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client went away or the server is stopping.
        }
        catch (IOException) when (response.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The connection broke mid-write.
        }
        catch (DbException ex)
        {
            // Headers are gone already, so no error answer is possible: end the stream and let the client
            // resume with Last-Event-ID (nothing is lost, the log is the truth).
            LogCatchUpFailed(logger, scope.Kind, scope.TargetId, ex);
        }
        finally
        {
            // Cancels the pending keep-alive delay so its timer does not outlive the response.
            await stop.CancelAsync().ConfigureAwait(false);
            StreamMetrics.Subscribers.Add(-1);
        }
    }

    private static async ValueTask<bool> WriteWindowAsync(PipeWriter writer, EventWindow window, long cursor, StreamScope scope, CancellationToken cancellationToken)
    {
        var pending = 0;
        var written = 0;
        for (var i = window.IndexAfter(cursor); i < window.Events.Length; i++)
        {
            var stored = window.Events[i];
            if (!scope.Matches(stored))
            {
                continue;
            }

            writer.Write(stored.Frame.Span);
            written++;
            pending += stored.Frame.Length;
            if (pending >= FlushThresholdBytes)
            {
                pending = 0;
                if ((await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted)
                {
                    return false;
                }
            }
        }

        if (written == 0)
        {
            return true;
        }

        StreamMetrics.FramesSent.Add(written);
        return !(await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted;
    }

    private static async ValueTask<bool> WriteAsync(PipeWriter writer, IReadOnlyList<StoredEvent> rows, StreamScope scope, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return true;
        }

        var written = 0;
        foreach (var stored in rows)
        {
            // The log query already filtered by scope; checking again keeps both paths identical.
            if (scope.Matches(stored))
            {
                writer.Write(stored.Frame.Span);
                written++;
            }
        }

        StreamMetrics.FramesSent.Add(written);

        return !(await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted;
    }

    [LoggerMessage(EventId = 4121, Level = LogLevel.Warning, Message = "Reading the event log for the {Kind} stream of {TargetId} failed; ending the stream")]
    private static partial void LogCatchUpFailed(ILogger logger, StreamKind kind, string targetId, Exception exception);
}
