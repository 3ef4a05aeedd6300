using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Server.Storage;

/// <summary>
/// Embedded SQLite in <c>DIR/ak.db</c>: WAL (readers never block the writer), a busy timeout, and exactly one writer —
/// a single connection fed by a queue, the writes that wait committed together in one short <c>BEGIN IMMEDIATE</c>
/// transaction (group commit, see <see cref="WriteAsync{T}"/>), so SQLite never answers "database is locked" to a
/// second writer of this process. Every commit is synced to disk before it returns
/// (<c>synchronous=FULL</c>, see <see cref="SqliteSynchronous"/>).
/// </summary>
public sealed class SqliteStorageEngine : IStorageEngine
{
    private const int MaxIdleReaders = 16;

    /// <summary>Commits between background WAL checkpoints (SQLite's own would run inside a commit, holding the writer).</summary>
    private const int CommitsPerCheckpoint = 500;

    /// <summary>WAL size (pages) above which a checkpoint waits for readers so the log can restart (~80 MB).</summary>
    private const long MaxWalFrames = 20_000;

    /// <summary>How many queued writes one transaction (one disk sync) may carry.</summary>
    private const int MaxBatch = 64;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly System.Threading.Channels.Channel<PendingWrite> _writes =
        System.Threading.Channels.Channel.CreateUnbounded<PendingWrite>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
    private int _writerLoopStarted;
    private Task _writerLoop = Task.CompletedTask;
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteCommandCache> _readers = [];
    private readonly IEventSignal _signal;
    private readonly TimeProvider _time;
    private readonly string _connectionString;
    private readonly SqliteSynchronous _synchronous;
    private SqliteCommandCache? _writer;
    private volatile bool _disposed;
    private int _commitsSinceCheckpoint;
    private int _checkpointRunning;
    private Task _checkpoint = Task.CompletedTask;

    public SqliteStorageEngine(string dataDir, IEventSignal? signal, TimeProvider timeProvider, SqliteSynchronous synchronous = SqliteSynchronous.Full)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        Directory.CreateDirectory(dataDir);
        DatabasePath = Path.Combine(dataDir, "ak.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _signal = signal ?? NoopEventSignal.Instance;
        _time = timeProvider;
        _synchronous = synchronous;
    }

    public string DatabasePath { get; }

    public StorageKind Kind => StorageKind.Sqlite;

    public string? ConnectionString => null;

    public SqlDialect Dialect => SqlDialect.Sqlite;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await WriterAsync(cancellationToken);
            await Migrations.ApplyAsync(writer.Connection, Kind, _time.GetUtcNow(), cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and returns once it is durable. Writes that queue up while
    /// the writer is busy are committed together (group commit): one <c>BEGIN IMMEDIATE</c> … <c>COMMIT</c>, and so one
    /// sync to disk, for all of them, each inside its own savepoint, in arrival order. A work that fails (a refused
    /// compare-and-set, say) is rolled back to its savepoint and fails alone; the others commit. The effect is the same
    /// as running them one after another, but a busy server pays one disk sync per batch instead of one per write.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<WriteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingWrite<T>(work, cancellationToken);
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(pending), this);

        if (Interlocked.CompareExchange(ref _writerLoopStarted, 1, 0) == 0)
        {
            _writerLoop = Task.Run(WriteLoopAsync, CancellationToken.None);
        }

        return pending.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var pending))
            {
                if (pending.Token.IsCancellationRequested)
                {
                    pending.Fail(new OperationCanceledException(pending.Token));
                }
                else
                {
                    batch.Add(pending);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            await _writeLock.WaitAsync(CancellationToken.None);
            long latest;
            try
            {
                latest = await CommitBatchAsync(batch);
            }
            finally
            {
                _writeLock.Release();
            }

            AfterCommit(latest);
        }
    }

    /// <summary>One transaction for the whole batch; returns the highest event id it committed.</summary>
    private async Task<long> CommitBatchAsync(List<PendingWrite> batch)
    {
        SqliteCommandCache writer;
        try
        {
            writer = await WriterAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is DbException or IOException or InvalidOperationException)
        {
            batch.ForEach(p => p.Fail(e));
            return 0;
        }

        var ran = new List<PendingWrite>(batch.Count);
        long latest = 0;
        try
        {
            await using var transaction = writer.Connection.BeginTransaction(deferred: false);
            for (var i = 0; i < batch.Count; i++)
            {
                var pending = batch[i];
                var savepoint = "w" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                transaction.Save(savepoint);
                var tx = new WriteTransaction(writer.Connection, transaction, Dialect, writer);
                try
                {
                    await pending.RunAsync(tx);
                    latest = Math.Max(latest, await EventLog.AppendAsync(tx, pending.Token));
                    transaction.Release(savepoint);
                    ran.Add(pending);
                }
                catch (Exception e)
                {
                    // This work alone is undone (its rows and its events); the batch goes on. (If even that fails, the
                    // transaction is unusable: the handler below fails the whole batch.)
                    transaction.Rollback(savepoint);
                    transaction.Release(savepoint);
                    pending.Fail(e);
                }
            }

            // Crash point: before this commit nothing of the batch is visible; after it, every work's rows and events are
            // durable together.
            transaction.Commit();
        }
        catch (DbException e)
        {
            // The database itself failed (busy past the timeout, I/O, the commit): the batch was rolled back as a whole, so
            // every work that had succeeded in it fails with it, and the ones not run yet fail too — nothing was written.
            foreach (var pending in batch)
            {
                pending.Fail(e);
            }

            return 0;
        }

        foreach (var pending in ran)
        {
            pending.Complete();
        }

        return latest;
    }

    private void AfterCommit(long latest)
    {
        if (++_commitsSinceCheckpoint >= CommitsPerCheckpoint && Interlocked.Exchange(ref _checkpointRunning, 1) == 0)
        {
            _commitsSinceCheckpoint = 0;
            _checkpoint = Task.Run(CheckpointAsync, CancellationToken.None);
        }

        if (latest > 0)
        {
            _signal.Notify(latest);
        }
    }

    /// <summary>A write waiting for the writer: its work, its caller's token, and how its caller learns the outcome.</summary>
    private abstract class PendingWrite(CancellationToken token)
    {
        public CancellationToken Token { get; } = token;

        public abstract Task RunAsync(WriteTransaction tx);

        /// <summary>The batch committed: hand the work's result to its caller.</summary>
        public abstract void Complete();

        public abstract void Fail(Exception error);
    }

    private sealed class PendingWrite<T>(Func<WriteTransaction, CancellationToken, Task<T>> work, CancellationToken token) : PendingWrite(token)
    {
        private readonly TaskCompletionSource<T> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _outcome.Task;

        public override async Task RunAsync(WriteTransaction tx) => _result = await work(tx, Token);

        public override void Complete() => _outcome.TrySetResult(_result!);

        public override void Fail(Exception error)
        {
            if (error is OperationCanceledException && Token.IsCancellationRequested)
            {
                _outcome.TrySetCanceled(Token);
            }
            else
            {
                _outcome.TrySetException(StorageException.Wrap(error));
            }
        }
    }

    public async Task<T> ReadAsync<T>(Func<DbScope, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            if (!_readers.TryTake(out var reader))
            {
                var connection = new SqliteConnection(_connectionString);
                await connection.OpenAsync(cancellationToken);
                await connection.Command("PRAGMA busy_timeout=5000; PRAGMA query_only=1;").ExecAsync(cancellationToken);
                reader = new SqliteCommandCache(connection);
            }

            try
            {
                return await read(new DbScope(reader.Connection, null, Dialect) { Cache = reader }, cancellationToken);
            }
            finally
            {
                if (_readers.Count < MaxIdleReaders && !_disposed)
                {
                    _readers.Add(reader);
                }
                else
                {
                    Close(reader);
                }
            }
        }
        catch (DbException e)
        {
            throw StorageException.Wrap(e);
        }
    }

    /// <summary>
    /// Copies the WAL back into the database file off the write path (PASSIVE: never blocks the writer or readers), so
    /// commits do not pay for the checkpoint's copy and fsync.
    /// </summary>
    private async Task CheckpointAsync()
    {
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync();
            await connection.Command("PRAGMA busy_timeout=5000;").ExecAsync(CancellationToken.None);
            long walFrames;
            await using (var passive = connection.Command("PRAGMA wal_checkpoint(PASSIVE);"))
            await using (var result = await passive.ExecuteReaderAsync())
            {
                walFrames = await result.ReadAsync() ? result.GetInt64(1) : 0;
            }

            if (walFrames > MaxWalFrames)
            {
                // Readers kept the WAL from being reused: wait for them once so it cannot grow without bound.
                await connection.Command("PRAGMA wal_checkpoint(RESTART);").ExecAsync(CancellationToken.None);
            }
        }
        catch (SqliteException)
        {
            // Busy or interrupted: the next batch of commits tries again; the WAL stays correct meanwhile.
        }
        finally
        {
            Volatile.Write(ref _checkpointRunning, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        // Writes already queued still run; new ones are refused.
        _writes.Writer.TryComplete();
        await _writerLoop;
        await _checkpoint;
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            if (_writer is not null)
            {
                Close(_writer);
                _writer = null;
            }
        }
        finally
        {
            _writeLock.Release();
        }

        while (_readers.TryTake(out var reader))
        {
            Close(reader);
        }

        SqliteConnection.ClearAllPools();
    }

    private static void Close(SqliteCommandCache cache)
    {
        cache.Dispose();
        cache.Connection.Dispose();
    }

    private async Task<SqliteCommandCache> WriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            return _writer;
        }

        var writer = new SqliteConnection(_connectionString);
        await writer.OpenAsync(cancellationToken);
        // WAL: readers never block the writer. synchronous=FULL syncs the WAL at every commit: with NORMAL a power cut
        // or OS crash can drop the last commits after their answers went out, and the next start would hand out the
        // same event ids and lease epochs a second time (a daemon could then hold a lease whose epoch another one also
        // holds). busy_timeout covers another process's checkpoint.
        var synchronous = _synchronous == SqliteSynchronous.Normal ? "NORMAL" : "FULL";
        await writer.Command($"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; " +
                             "PRAGMA wal_autocheckpoint=0;")
            .ExecAsync(cancellationToken);
        _writer = new SqliteCommandCache(writer);
        return _writer;
    }
}
