using System.Data.Common;
using AgentKanban.Server.Streams;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Server.Storage;

/// <summary>
/// Embedded SQLite in <c>DIR/ak.db</c>: WAL (readers never block the writer), a busy timeout, and exactly one writer —
/// a single connection guarded by a semaphore, each write a short <c>BEGIN IMMEDIATE</c> transaction, so SQLite never
/// answers "database is locked" to a second writer of this process. Every commit is synced to disk before it returns
/// (<c>synchronous=FULL</c>, see <see cref="SqliteSynchronous"/>).
/// </summary>
public sealed class SqliteStorageEngine : IStorageEngine
{
    private const int MaxIdleReaders = 16;

    /// <summary>Commits between background WAL checkpoints (SQLite's own would run inside a commit, holding the writer).</summary>
    private const int CommitsPerCheckpoint = 500;

    /// <summary>WAL size (pages) above which a checkpoint waits for readers so the log can restart (~80 MB).</summary>
    private const long MaxWalFrames = 20_000;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
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

    public async Task<T> WriteAsync<T>(Func<WriteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _writeLock.WaitAsync(cancellationToken);
        long latest;
        T result;
        try
        {
            var writer = await WriterAsync(cancellationToken);
            await using var transaction = writer.Connection.BeginTransaction(deferred: false);
            var tx = new WriteTransaction(writer.Connection, transaction, Dialect, writer);
            result = await work(tx, cancellationToken);
            latest = await EventLog.AppendAsync(tx, cancellationToken);
            // Crash point: before this commit nothing of the work is visible; after it, rows and events are durable together.
            transaction.Commit();
        }
        finally
        {
            _writeLock.Release();
        }

        if (++_commitsSinceCheckpoint >= CommitsPerCheckpoint && Interlocked.Exchange(ref _checkpointRunning, 1) == 0)
        {
            _commitsSinceCheckpoint = 0;
            _checkpoint = Task.Run(CheckpointAsync, CancellationToken.None);
        }

        if (latest > 0)
        {
            _signal.Notify(latest);
        }

        return result;
    }

    public async Task<T> ReadAsync<T>(Func<DbScope, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
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
