using System.Runtime.InteropServices;
using AgentKanban.Daemon.Setup;

namespace AgentKanban.Daemon;

/// <summary>
/// Entry points the CLI uses to host the machine daemon (<c>ak daemon run</c>, <c>ak up</c>).
/// <para>
/// Shutdown is staged. The first SIGTERM/SIGINT (or the caller's token) stops taking work: nothing new is
/// dispatched or resumed, and each running agent is stopped as soon as the tool call it is in returns (its current
/// step), within <see cref="DaemonOptions.ShutdownDrainTimeout"/>. A second signal, or that timeout, stops the
/// rest at once (SIGTERM, grace, SIGKILL of each process group). Either way their sessions stay <c>active</c> in
/// the store and are resumed in place (same worktree, the provider's resume token) by the next start — an agent
/// task can run for hours, so waiting for it to finish would make a restart hang; stopping between steps loses
/// at most the model's in-flight reply, never a half-done tool call.
/// </para>
/// </summary>
public static class DaemonHost
{
    /// <summary>Runs the daemon in the foreground until stopped; returns the process exit code (0 ok, 1 failure).</summary>
    public static async Task<int> RunAsync(DaemonOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        RunningDaemon daemon;
        using var startCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signals = new List<PosixSignalRegistration>();
        var signalCount = 0;
        RunningDaemon? started = null;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            var count = Interlocked.Increment(ref signalCount);
            if (started is null)
            {
                startCancel.Cancel();
            }
            else if (count == 1)
            {
                started.RequestStop();
            }
            else
            {
                started.Abort();
            }
        }

        if (options.HandleSignals)
        {
            signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
            signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        }

        try
        {
            try
            {
                daemon = await RunningDaemon.StartAsync(options, startCancel.Token);
            }
            catch (DaemonSetupException e)
            {
                await Console.Error.WriteLineAsync("ak daemon: " + e.Message);
                return 1;
            }
            catch (OperationCanceledException) when (startCancel.IsCancellationRequested)
            {
                return 0;
            }

            await using (daemon)
            {
                started = daemon;
                using var onCancel = cancellationToken.Register(daemon.RequestStop);
                if (Volatile.Read(ref signalCount) > 0)
                {
                    daemon.RequestStop();
                }

                await daemon.WaitForExitAsync();
            }

            return 0;
        }
        finally
        {
            foreach (var registration in signals)
            {
                registration.Dispose();
            }
        }
    }

    /// <summary>Starts the daemon and returns a handle to it (tests and <c>ak up</c> stop it through the handle).</summary>
    public static Task<RunningDaemon> StartAsync(DaemonOptions options, CancellationToken cancellationToken) =>
        RunningDaemon.StartAsync(options, cancellationToken);
}
