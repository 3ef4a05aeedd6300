using Microsoft.Extensions.Hosting;

namespace AgentKanban.Server.Hosting;

/// <summary>
/// A background pass that runs every <c>interval</c> on the injected clock (so tests move it with a fake one). A failed
/// pass is reported and the next tick tries again; shutdown ends the loop quietly.
/// </summary>
public abstract class PeriodicJob(TimeProvider timeProvider, TimeSpan interval) : BackgroundService
{
    /// <summary>One pass.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>Logs a failed pass (the job keeps running).</summary>
    protected abstract void ReportFailure(Exception exception);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    ReportFailure(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
