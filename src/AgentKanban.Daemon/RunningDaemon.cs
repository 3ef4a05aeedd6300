using AgentKanban.Daemon.Dispatch;
using AgentKanban.Client;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Sessions;
using AgentKanban.Daemon.Setup;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon;

/// <summary>
/// A started daemon: its parts, their background loops, and the staged shutdown (see <see cref="DaemonHost"/>).
/// </summary>
public sealed partial class RunningDaemon : IAsyncDisposable
{
    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(5);
    private readonly DaemonDatabase _database;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopTakingWork = new();
    private readonly CancellationTokenSource _background = new();
    private readonly TaskCompletionSource _abort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IDisposable> _disposables = [];
    private readonly List<Task> _backgroundTasks = [];
    private Task? _loopTask;
    private Task? _shutdown;
    private InstanceLock? _instanceLock;

    private RunningDaemon(DaemonContext context, DaemonDatabase database, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        Context = context;
        _database = database;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<RunningDaemon>();
    }

    public DaemonContext Context { get; }
    public string MachineId => Context.MachineId;
    public required SessionStore Sessions { get; init; }
    public required OutboxStore Outbox { get; init; }
    public required TaskNotesStore Notes { get; init; }
    public required PauseStore Pauses { get; init; }
    public required BreakerStore Breakers { get; init; }
    public required RuntimeGate Gate { get; init; }
    public required SessionSupervisor Supervisor { get; init; }
    public required DaemonLoop Loop { get; init; }
    public required OutboxDeliverer Deliverer { get; init; }
    public required Heartbeat Heartbeat { get; init; }
    public required WorkFeed Feed { get; init; }
    public required Dispatcher Dispatcher { get; init; }
    public required LeaseKeeper Leases { get; init; }
    public required Review.ReviewMonitor Reviews { get; init; }

    /// <summary>Completes when the daemon has stopped.</summary>
    public Task WaitForExitAsync() => _exited.Task;

    /// <summary>First stage: stop taking work; running agents stop between steps (within the drain timeout).</summary>
    public void RequestStop()
    {
        lock (_exited)
        {
            _shutdown ??= Task.Run(ShutdownAsync);
        }
    }

    /// <summary>Second stage: stop every running agent now.</summary>
    public void Abort()
    {
        RequestStop();
        _abort.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        RequestStop();
        await _exited.Task;
        _stopTakingWork.Dispose();
        _background.Dispose();
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        await _database.DisposeAsync();
        _loggerFactory.Dispose();
        if (_instanceLock is not null)
        {
            // Files first, lock last: while the lock is held nobody else may touch them.
            DaemonReadyFile.Delete(Context.Paths.ReadyFile);
            SecureFiles.DeleteQuietly(Context.Paths.PidFile);
            _instanceLock.Dispose();
        }
    }

    internal async Task StartPartsAsync(CancellationToken cancellationToken)
    {
        await Gate.LoadAsync(Pauses, Breakers, cancellationToken);
        // Heartbeat first: it extends the machine's leases before the recovery pass asks about its tasks.
        await Heartbeat.SendAsync(cancellationToken);
        _backgroundTasks.Add(Task.Run(() => Deliverer.RunAsync(_background.Token), CancellationToken.None));
        _backgroundTasks.Add(Task.Run(() => Heartbeat.RunAsync(_background.Token), CancellationToken.None));
        _backgroundTasks.Add(Task.Run(() => Leases.RunAsync(_background.Token), CancellationToken.None));
        _backgroundTasks.Add(Task.Run(() => Reviews.RunAsync(_background.Token), CancellationToken.None));
        if (Context.Options.UseEventStream)
        {
            _backgroundTasks.Add(Task.Run(() => Feed.RunAsync(_background.Token), CancellationToken.None));
        }

        _loopTask = Task.Run(() => Loop.RunAsync(_stopTakingWork.Token), CancellationToken.None);
    }

    /// <summary>
    /// Runs a short piece of background work (a heartbeat's lease reconciliation) on the daemon's background token, so
    /// shutdown stops it; failures are logged by the work itself.
    /// </summary>
    internal void RunInBackground(Func<CancellationToken, Task> work)
    {
        var token = _background.Token;
        if (token.IsCancellationRequested)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await work(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopping.
            }
            catch (Exception e) when (e is ServerApiException or IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                DaemonLog.LoopFailed(_logger, e);
            }
        }, CancellationToken.None);
    }

    private async Task ShutdownAsync()
    {
        try
        {
            DaemonLog.Draining(_logger, Context.Options.ShutdownDrainTimeout);
            await _stopTakingWork.CancelAsync();
            await Quietly(_loopTask);
            await Quietly(Dispatcher.WhenIdleAsync());
            await Quietly(Loop.WhenContinuationsDoneAsync());

            Supervisor.BeginDrain();
            var drained = Supervisor.WhenAllEndedAsync(CancellationToken.None);
            var timeout = Task.Delay(Context.Options.ShutdownDrainTimeout, _timeProvider);
            await Task.WhenAny(drained, timeout, _abort.Task);
            if (!drained.IsCompleted)
            {
                DaemonLog.Aborting(_logger, Supervisor.AbortAll());
                await Task.WhenAny(drained, Task.Delay(Context.Options.StopGracePeriod + TimeSpan.FromSeconds(10), _timeProvider));
            }

            // Last chance to tell the server what happened; whatever is left is delivered by the next start.
            using (var flush = new CancellationTokenSource(FinalFlushTimeout, _timeProvider))
            {
                await Quietly(Deliverer.DeliverDueAsync(flush.Token));
            }

            await _background.CancelAsync();
            foreach (var task in _backgroundTasks)
            {
                await Quietly(task);
            }

            DaemonLog.Stopped(_logger);
        }
        finally
        {
            _exited.TrySetResult();
        }
    }

    private async Task Quietly(Task? task)
    {
        if (task is null)
        {
            return;
        }

        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or ServerApiException)
        {
            DaemonLog.LoopFailed(_logger, e);
        }
    }
}
