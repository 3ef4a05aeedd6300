using System.Data.Common;
using AgentKanban.Server.Streams;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Server.Storage;

/// <summary>
/// Embedded SQLite in <c>DIR/ak.db</c>: WAL (readers never block the writer), a busy timeout, and exactly one writer —
/// a single connection guarded by a semaphore, each write a short <c>BEGIN IMMEDIATE</c> transaction, so SQLite never
/// answers "database is locked" to a second writer of this process.
/// </summary>
public sealed class SqliteStorageEngine : IStorageEngine
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly IEventSignal _signal;
    private readonly TimeProvider _time;
    private readonly string _connectionString;
    private SqliteConnection? _writer;

    public SqliteStorageEngine(string dataDir, IEventSignal? signal, TimeProvider timeProvider)
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
            await Migrations.ApplyAsync(writer, Kind, _time.GetUtcNow(), cancellationToken);
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
            await using var transaction = writer.BeginTransaction(deferred: false);
            var tx = new WriteTransaction(writer, transaction, Dialect);
            result = await work(tx, cancellationToken);
            latest = await EventLog.AppendAsync(tx, cancellationToken);
            // Crash point: before this commit nothing of the work is visible; after it, rows and events are durable together.
            transaction.Commit();
        }
        finally
        {
            _writeLock.Release();
        }

        if (latest > 0)
        {
            _signal.Notify(latest);
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync();
                _writer = null;
            }
        }
        finally
        {
            _writeLock.Release();
        }

        SqliteConnection.ClearAllPools();
    }

    private async Task<SqliteConnection> WriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            return _writer;
        }

        var writer = new SqliteConnection(_connectionString);
        await writer.OpenAsync(cancellationToken);
        // WAL persists in the file; synchronous=FULL makes every commit survive a power loss, not only a crash.
        await writer.Command("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;")
            .ExecAsync(cancellationToken);
        _writer = writer;
        return writer;
    }
}
