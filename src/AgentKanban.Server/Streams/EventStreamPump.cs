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
/// <remarks>
/// A resuming stream never continues across a gap: when events after its cursor may have been pruned (the cursor is
/// below the floor of its scope, <see cref="LogPosition"/>) it sends a <c>reset</c> frame naming the head and goes on
/// from the head. That is decided when the stream opens, whether the events would come from the in-memory window or
/// from the log, so the answer never depends on what one instance happens to hold; and again on every catch-up read
/// from the log, in the same snapshot as its rows, for a pruning that happens while the stream catches up.
/// </remarks>
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

    /// <summary>
    /// Writes the stream from <paramref name="start"/>, given where the log stood (<paramref name="position"/>, read for
    /// this scope when the request came in).
    /// </summary>
    public async Task RunAsync(HttpResponse response, StreamScope scope, StreamStart start, LogPosition position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(scope);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // A replay (?since=) asks for what is retained, gaps included; every other start resumes a picture.
        var watchGaps = !start.IsReplay;
        var afterId = start.Resolve(position.Head);
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
            if (watchGaps && position.HasGapAfter(cursor))
            {
                cursor = await ResetAsync(writer, scope, cursor, position, token).ConfigureAwait(false);
                if (cursor < 0)
                {
                    return;
                }
            }

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
                    var batch = await log.ReadCatchUpAsync(cursor, upTo, scope, _options.ReadBatchSize, token).ConfigureAwait(false);
                    StreamMetrics.CatchUpReads.Add(1);
                    if (watchGaps && batch.Position.HasGapAfter(cursor))
                    {
                        // Pruned since the stream opened (or since the previous batch): these rows are not the whole range.
                        cursor = await ResetAsync(writer, scope, cursor, batch.Position, token).ConfigureAwait(false);
                        if (cursor < 0)
                        {
                            return;
                        }

                        window = await feed.CurrentAsync(token).ConfigureAwait(false);
                        continue;
                    }

                    var rows = batch.Events;
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

    /// <summary>Sends the <c>reset</c> frame; returns the new cursor (the head), or -1 when the client has gone.</summary>
    private async ValueTask<long> ResetAsync(PipeWriter writer, StreamScope scope, long cursor, LogPosition position, CancellationToken cancellationToken)
    {
        LogReset(logger, scope.Kind, scope.TargetId, cursor, position.Floor, position.Head);
        StreamMetrics.Resets.Add(1);
        writer.Write(EventFrames.Reset(position.Head, position.Floor));
        return (await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted ? -1 : position.Head;
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

    [LoggerMessage(EventId = 1150, Level = LogLevel.Information,
        Message = "The {Kind} stream of {TargetId} resumed after event {AfterId}, but events up to {PrunedThrough} were pruned: reset to the head {HeadId}")]
    private static partial void LogReset(ILogger logger, StreamKind kind, string targetId, long afterId, long prunedThrough, long headId);

    [LoggerMessage(EventId = 4121, Level = LogLevel.Warning, Message = "Reading the event log for the {Kind} stream of {TargetId} failed; ending the stream")]
    private static partial void LogCatchUpFailed(ILogger logger, StreamKind kind, string targetId, Exception exception);
}
