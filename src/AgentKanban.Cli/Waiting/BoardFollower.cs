using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using AgentKanban.Client;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Waiting;

/// <summary>
/// What a wait does with what it sees of a board. Each call decides: null = keep waiting, otherwise the exit code (the
/// watch has already written what the caller needs to know).
/// </summary>
internal interface ITaskWatch
{
    /// <summary>Reads the board's tasks afresh: its stream has just (re)connected, or told us it skipped events.</summary>
    Task<int?> ResyncAsync(string boardId, CancellationToken ct);

    /// <summary>One event of the board's stream (never a reset: that comes as a resync).</summary>
    int? Apply(ServerEventDto evt);

    /// <summary>Nothing decided for a while: say where things stand (stderr).</summary>
    void Remind(TimeSpan waited);
}

/// <summary>
/// Follows the event streams of some boards and hands what they say to a <see cref="ITaskWatch"/> until it decides.
/// After every connect, reconnect or reset the watch re-reads the board (the stream is open by then, so nothing that
/// happens after that read is missed); between those it only sees events. A broken stream is reopened from the last
/// event it delivered, after a short pause that grows while the server stays away. No polling.
/// </summary>
internal sealed class BoardFollower(CliContext context, TimeSpan retryDelay, TimeSpan remindEvery)
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    public async Task<int> RunAsync(IReadOnlyCollection<string> boardIds, ITaskWatch watch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(boardIds);
        ArgumentNullException.ThrowIfNull(watch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var signals = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
        var workers = boardIds.Distinct(StringComparer.Ordinal).Select(b => PumpAsync(b, signals.Writer, stop.Token)).ToList();
        var started = context.Time.GetTimestamp();
        workers.Add(RemindAsync(signals.Writer, stop.Token));
        try
        {
            while (true)
            {
                var signal = await signals.Reader.ReadAsync(ct);
                var decided = signal switch
                {
                    Signal.Connected connected => await ResyncAsync(watch, connected.BoardId, ct),
                    Signal.Event e => watch.Apply(e.Evt),
                    Signal.Tick => Remind(watch, context.Time.GetElapsedTime(started)),
                    Signal.Failed failed => Rethrow(failed.Error),
                    _ => null,
                };
                if (decided is { } code)
                {
                    return code;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await Task.WhenAll(workers);
            }
            catch (OperationCanceledException)
            {
                // The pumps end by being cancelled.
            }
        }
    }

    private static int? Remind(ITaskWatch watch, TimeSpan waited)
    {
        watch.Remind(waited);
        return null;
    }

    private static int? Rethrow(Exception error)
    {
        ExceptionDispatchInfo.Capture(error).Throw();
        return null;
    }

    /// <summary>A read that fails for want of an answer is tried again (the stream is open; the server will be back).</summary>
    private async Task<int?> ResyncAsync(ITaskWatch watch, string boardId, CancellationToken ct)
    {
        var delay = retryDelay;
        while (true)
        {
            try
            {
                return await watch.ResyncAsync(boardId, ct);
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                await Task.Delay(delay, context.Time, ct);
                delay = Next(delay);
            }
        }
    }

    private async Task PumpAsync(string boardId, ChannelWriter<Signal> signals, CancellationToken ct)
    {
        long? lastEventId = null;
        var delay = retryDelay;
        while (true)
        {
            try
            {
                var events = await context.Client.OpenBoardEventsAsync(boardId, lastEventId, ct);
                await signals.WriteAsync(new Signal.Connected(boardId), ct);
                delay = retryDelay;
                await foreach (var evt in events.WithCancellation(ct))
                {
                    lastEventId = evt.Id > 0 ? evt.Id : lastEventId;
                    await signals.WriteAsync(evt.Type == StreamEvents.Reset ? new Signal.Connected(boardId) : new Signal.Event(evt), ct);
                }

                // The server ended the stream (it is stopping): reopen it like a broken one.
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                // No answer, or the stream broke: reopen it from the last event after a pause.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                signals.TryWrite(new Signal.Failed(e));
                return;
            }

            await Task.Delay(delay, context.Time, ct);
            delay = Next(delay);
        }
    }

    private async Task RemindAsync(ChannelWriter<Signal> signals, CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(remindEvery, context.Time, ct);
            await signals.WriteAsync(new Signal.Tick(), ct);
        }
    }

    private static TimeSpan Next(TimeSpan delay) => delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;

    private static bool IsTransient(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested
        && e is ServerApiException { IsTransient: true } or HttpRequestException or IOException or OperationCanceledException;

    private abstract record Signal
    {
        public sealed record Connected(string BoardId) : Signal;

        public sealed record Event(ServerEventDto Evt) : Signal;

        public sealed record Tick : Signal;

        public sealed record Failed(Exception Error) : Signal;
    }
}
