using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Outbox;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>
/// One open write transaction of the daemon's store, with the side tables a state change may touch.
/// Everything done through one instance commits together or not at all.
/// </summary>
public sealed class StoreTransaction(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset now)
{
    public SqliteConnection Connection { get; } = connection;
    public SqliteTransaction Transaction { get; } = transaction;
    public DateTimeOffset Now { get; } = now;
    public long NowMs => Now.ToUnixTimeMilliseconds();

    /// <summary>At least one report was queued in this transaction (for the <c>outbox-written</c> crash point).</summary>
    public bool WroteOutbox { get; private set; }

    /// <summary>A runtime pause was written (for the <c>rate-limit-persisted</c> crash point).</summary>
    public bool WrotePause { get; private set; }

    public SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = sql;
        return command;
    }

    public async Task EnqueueAsync(Report report, CancellationToken cancellationToken)
    {
        if (await OutboxStore.EnqueueAsync(Connection, Transaction, report, NowMs, cancellationToken))
        {
            WroteOutbox = true;
        }
    }

    public Task<RuntimePause?> GetPauseAsync(string runtime, CancellationToken cancellationToken) =>
        PauseStore.GetAsync(this, runtime, cancellationToken);

    public async Task SetPauseAsync(string runtime, RuntimePause? pause, string reason, CancellationToken cancellationToken)
    {
        await PauseStore.SetAsync(this, runtime, pause, reason, cancellationToken);
        WrotePause = true;
    }

    public Task<CircuitBreakerState> GetBreakerAsync(string runtime, CancellationToken cancellationToken) =>
        BreakerStore.GetAsync(this, runtime, cancellationToken);

    public Task SetBreakerAsync(string runtime, CircuitBreakerState state, CancellationToken cancellationToken) =>
        BreakerStore.SetAsync(this, runtime, state, cancellationToken);

    /// <summary>Records why a task is not running; queues the report only when the reason changed.</summary>
    public async Task<bool> SetWhyAsync(string taskId, string reason, CancellationToken cancellationToken)
    {
        if (!await TaskNotesStore.SetReasonAsync(this, taskId, reason, cancellationToken))
        {
            return false;
        }

        await EnqueueAsync(Reports.Why(taskId, reason), cancellationToken);
        return true;
    }

    public Task SetTaskBackoffAsync(string taskId, TaskBackoff backoff, CancellationToken cancellationToken) =>
        TaskNotesStore.SetBackoffAsync(this, taskId, backoff, cancellationToken);

    public Task<TaskBackoff?> GetTaskBackoffAsync(string taskId, CancellationToken cancellationToken) =>
        TaskNotesStore.GetBackoffAsync(this, taskId, cancellationToken);

    public Task ClearTaskBackoffAsync(string taskId, CancellationToken cancellationToken) =>
        TaskNotesStore.ClearBackoffAsync(this, taskId, cancellationToken);

    /// <summary>Makes every rate-limited session of <paramref name="runtime"/> that waits for a later time due now.</summary>
    public Task ResumeRateLimitedNowAsync(string runtime, CancellationToken cancellationToken) =>
        SessionStore.ResumeRateLimitedNowAsync(this, runtime, cancellationToken);
}
