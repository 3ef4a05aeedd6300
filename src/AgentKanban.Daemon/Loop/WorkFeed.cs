using AgentKanban.Contracts;
using AgentKanban.Daemon.ServerClient;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// The push channel: the machine's SSE stream (its agents' task events). Every event wakes the daemon loop; a task
/// event also goes to the <see cref="TaskWatcher"/>. Reconnects with <c>Last-Event-ID</c> and a capped backoff; while
/// it is down the loop's polling carries dispatch alone.
/// </summary>
public sealed class WorkFeed(
    BoardApiClient streamApi,
    TaskWatcher watcher,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<WorkFeed> logger)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private long? _lastEventId;

    /// <summary>An event arrived (the loop runs a pass).</summary>
    public event Action? Pushed;

    public bool Connected { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                await foreach (var evt in streamApi.StreamEventsAsync($"api/machines/{Uri.EscapeDataString(context.MachineId)}/events", _lastEventId, cancellationToken))
                {
                    if (!Connected)
                    {
                        Connected = true;
                        backoff = TimeSpan.FromSeconds(1);
                        DaemonLog.StreamConnected(logger, _lastEventId);
                    }

                    _lastEventId = evt.Id;
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

            backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
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
