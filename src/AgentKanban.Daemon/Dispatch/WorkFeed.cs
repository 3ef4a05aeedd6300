using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Dispatch;

/// <summary>
/// The push channel: the machine's SSE stream (its agents' task events). Every event wakes the daemon loop; a task
/// event also goes to the <see cref="TaskWatcher"/>. Reconnects with <c>Last-Event-ID</c> and a capped backoff; while
/// it is down the loop's polling carries dispatch alone. When the server answers a reconnect with <c>reset</c> (events
/// after the last id were pruned, so pushes may be lost for good) it raises <see cref="PushesMissed"/>.
/// </summary>
public sealed class WorkFeed(
    BoardApiClient streamApi,
    TaskWatcher watcher,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<WorkFeed> logger)
{
    // Event ids start at 1: 0 means none yet (a fresh stream starts at the server's "now").
    private long _lastEventId;

    /// <summary>An event arrived (the loop runs a pass).</summary>
    public event Action? Pushed;

    /// <summary>
    /// The server reset the stream: events this daemon never saw were pruned, so anything they would have pushed (new
    /// work, a rejection, a cancellation) has to be looked up instead.
    /// </summary>
    public event Action? PushesMissed;

    public bool Connected { get; private set; }

    /// <summary>The id of the last event received (where a reconnect resumes); null before the first.</summary>
    public long? LastEventId => Interlocked.Read(ref _lastEventId) is > 0 and var id ? id : null;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Drops since the stream last delivered an event: the wait before reconnecting doubles with each.
        var drops = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                await foreach (var evt in streamApi.StreamEventsAsync($"api/machines/{Uri.EscapeDataString(context.MachineId)}/events", LastEventId, cancellationToken))
                {
                    if (!Connected)
                    {
                        Connected = true;
                        drops = 0;
                        DaemonLog.StreamConnected(logger, LastEventId);
                    }

                    // A reset's id is the server's head: the stream goes on from there.
                    Interlocked.Exchange(ref _lastEventId, evt.Id);
                    if (evt.Type == StreamEvents.Reset)
                    {
                        DaemonLog.StreamReset(logger, evt.PrunedThrough, evt.Id);
                        PushesMissed?.Invoke();
                        continue;
                    }

                    await OnEventAsync(evt, cancellationToken);
                }

                reason = "the server closed the stream";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ServerApiException e)
            {
                reason = e.Message;
            }

            Connected = false;
            var backoff = RetryPolicy.Delay(++drops, Backoffs.ServerReconnect, 0);
            DaemonLog.StreamLost(logger, reason, backoff);
            // A reconnect is also a chance to have missed nothing: the loop polls once right away.
            Pushed?.Invoke();
            try
            {
                await Task.Delay(backoff, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task OnEventAsync(ServerEventDto evt, CancellationToken cancellationToken)
    {
        Pushed?.Invoke();
        if (evt.TaskId is not null)
        {
            try
            {
                await watcher.OnTaskEventAsync(evt, cancellationToken);
            }
            catch (ServerApiException)
            {
                // The timer-driven check catches up.
            }
        }
    }
}
