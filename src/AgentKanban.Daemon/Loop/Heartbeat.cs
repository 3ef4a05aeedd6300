using AgentKanban.Agents.Runtimes;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// Tells the server that this machine lives — which renews its task leases — and how each runtime stands: ready,
/// limited (with the reset time of its pause or circuit), missing, or unhealthy (installed but not supported by this
/// daemon). Sent every third of the server's lease at most (<see cref="LeaseKeeper.HeartbeatInterval"/>), at once after a
/// pause or breaker change, and sooner again after a failure. Each confirmed answer goes to the <see cref="LeaseKeeper"/>
/// (self-fencing) and to <see cref="Answered"/> (the lease reconciliation).
/// </summary>
public sealed class Heartbeat(
    BoardApiClient api,
    RuntimeGate gate,
    LeaseKeeper leases,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<Heartbeat> logger)
{
    private readonly WakeSignal _wake = new();
    private bool _failing;

    /// <summary>The server renewed this machine's leases and listed them.</summary>
    public event Action<HeartbeatAnswerDto>? Answered;

    /// <summary>Send one now (a runtime's state changed).</summary>
    public void Wake() => _wake.Set();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await SendAsync(cancellationToken);
            try
            {
                await _wake.WaitAsync(_failing ? leases.RetryInterval : leases.HeartbeatInterval, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async Task<bool> SendAsync(CancellationToken cancellationToken)
    {
        var sentAt = timeProvider.GetTimestamp();
        var sentAtWall = timeProvider.GetUtcNow();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(leases.RequestTimeout);
        try
        {
            var answer = await api.HeartbeatAsync(context.MachineId, new HeartbeatRequest
            {
                Version = typeof(Heartbeat).Assembly.GetName().Version?.ToString(3),
                Runtimes = Runtimes(),
                Usage = context.Usage.Snapshot(sentAtWall),
            }, timeout.Token);
            _failing = false;
            leases.Confirmed(sentAt, sentAtWall, answer.LeaseTtlMs > 0 ? TimeSpan.FromMilliseconds(answer.LeaseTtlMs) : null);
            Answered?.Invoke(answer);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Failed($"no answer within {leases.RequestTimeout.TotalSeconds:0.#} s");
            return false;
        }
        catch (ServerApiException e) when (e.Code == ErrorCodes.StorageUnavailable)
        {
            // The server lives but its database does not: it cannot take a lease back either, and grants a full lease of
            // grace once the database answers. The agents carry on.
            leases.Confirmed(sentAt, sentAtWall, null);
            Failed(e.Message);
            return false;
        }
        catch (ServerApiException e)
        {
            Failed(e.Message);
            return false;
        }
    }

    private void Failed(string reason)
    {
        if (!_failing)
        {
            DaemonLog.HeartbeatFailed(logger, reason);
        }

        _failing = true;
    }

    public IReadOnlyList<RuntimeStatusDto> Runtimes()
    {
        var list = new List<RuntimeStatusDto>();
        foreach (var name in RuntimeNames.All)
        {
            if (!context.Runtimes.IsInstalled(name))
            {
                list.Add(new RuntimeStatusDto(name, "missing"));
                continue;
            }

            if (AgentRuntimes.Find(name) is not { } runtime)
            {
                list.Add(new RuntimeStatusDto(name, "unhealthy", "installed, but this daemon has no adapter for it yet"));
                continue;
            }

            if (runtime.CheckAvailability(context.Runtimes.ExecutableFor(name)!, context.Environment) is { Authorized: false } denied)
            {
                list.Add(new RuntimeStatusDto(name, "unauthorized", denied.Detail));
                continue;
            }

            if (context.AgentsRefused is { } refused)
            {
                list.Add(new RuntimeStatusDto(name, "unhealthy", refused));
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
