using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.ServerClient;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// Tells the server every 30 s (and at once after a pause or breaker change) that this machine lives — which keeps
/// its task leases — and how each runtime stands: ready, limited (with the reset time of its pause or circuit),
/// missing, or unhealthy (installed but not supported by this daemon).
/// </summary>
public sealed class Heartbeat(
    BoardApiClient api,
    RuntimeGate gate,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<Heartbeat> logger)
{
    private readonly WakeSignal _wake = new();
    private bool _failing;

    /// <summary>Send one now (a runtime's state changed).</summary>
    public void Wake() => _wake.Set();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await SendAsync(cancellationToken);
            try
            {
                await _wake.WaitAsync(_failing ? TimeSpan.FromSeconds(5) : context.Options.HeartbeatInterval, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async Task<bool> SendAsync(CancellationToken cancellationToken)
    {
        try
        {
            await api.HeartbeatAsync(context.MachineId, new HeartbeatRequest
            {
                Version = typeof(Heartbeat).Assembly.GetName().Version?.ToString(3),
                Runtimes = Runtimes(),
            }, cancellationToken);
            _failing = false;
            return true;
        }
        catch (ServerApiException e)
        {
            if (!_failing)
            {
                DaemonLog.HeartbeatFailed(logger, e.Message);
            }

            _failing = true;
            return false;
        }
    }

    public IReadOnlyList<RuntimeStatusDto> Runtimes()
    {
        var list = new List<RuntimeStatusDto>();
        foreach (var name in RuntimeCatalog.Known)
        {
            if (!context.Runtimes.IsInstalled(name))
            {
                list.Add(new RuntimeStatusDto(name, "missing"));
                continue;
            }

            if (!RuntimeCatalog.IsSupported(name))
            {
                list.Add(new RuntimeStatusDto(name, "unhealthy", "installed, but this daemon has no adapter for it yet"));
                continue;
            }

            if (gate.ActivePause(name) is { } pause)
            {
                list.Add(new RuntimeStatusDto(name, "limited", "rate limited: " + pause.Reason,
                    RateLimitPolicy.EffectiveUntil(pause.Pause, timeProvider.GetUtcNow())));
                continue;
            }

            var breaker = gate.CheckBreaker(name);
            if (!breaker.MayDispatch)
            {
                list.Add(new RuntimeStatusDto(name, "limited", "circuit open: agents keep failing before they claim their tasks", breaker.RetryAt));
                continue;
            }

            list.Add(new RuntimeStatusDto(name, "ready"));
        }

        return list;
    }
}
