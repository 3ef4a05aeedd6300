using AgentKanban.Daemon.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>
/// The daemon's local SQLite file: WAL, <c>synchronous=FULL</c> (a committed state change survives power loss),
/// one writer at a time through short <c>BEGIN IMMEDIATE</c> transactions, readers on their own connections.
/// Everything that must survive <c>kill -9</c> lives here; nothing that matters lives only in memory.
/// </summary>
public sealed class DaemonDatabase : IAsyncDisposable
{
    private readonly string _connectionString;

    // One writer: SQLite allows a single writer anyway; queueing here instead of in SQLite's busy handler
    // keeps writes FIFO and avoids "database is locked" under load.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private DaemonDatabase(string path, CrashPoints crashPoints)
    {
        Path = path;
        CrashPoints = crashPoints;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Test-only kill switches fired right after durable steps (disabled unless explicitly armed).</summary>
    public CrashPoints CrashPoints { get; }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>, with mode 0600, and migrates it.</summary>
    public static Task<DaemonDatabase> OpenAsync(string path, CancellationToken cancellationToken) =>
        OpenAsync(path, CrashPoints.Disabled, cancellationToken);

    public static async Task<DaemonDatabase> OpenAsync(string path, CrashPoints crashPoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crashPoints);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        if (!File.Exists(path))
        {
            // Create the file with owner-only permissions before SQLite writes secrets (session keys) into it.
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }

        var db = new DaemonDatabase(path, crashPoints);
        await db.MigrateAsync(cancellationToken);
        return db;
    }

    /// <summary>A connection for reads (WAL lets them run beside the writer).</summary>
    public async Task<SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ApplyPragmasAsync(connection, cancellationToken);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction and commits it. Everything a state change
    /// touches goes into one call, so a crash leaves either all of it or none of it.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken);
            await ApplyPragmasAsync(connection, cancellationToken);
            // Deferred transactions can fail to upgrade to a write lock midway; IMMEDIATE takes it up front.
            // (Microsoft.Data.Sqlite runs synchronously underneath; the async overloads would not help here.)
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public Task WriteAsync(Func<SqliteConnection, SqliteTransaction, Task> work, CancellationToken cancellationToken) =>
        WriteAsync<bool>(async (c, t) =>
        {
            await work(c, t);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction with the side tables at hand
    /// (<see cref="StoreTransaction"/>), stamped with <paramref name="now"/>.
    /// </summary>
    public async Task<T> TransactAsync<T>(DateTimeOffset now, Func<StoreTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        StoreTransaction? tx = null;
        var result = await WriteAsync((connection, transaction) =>
        {
            tx = new StoreTransaction(connection, transaction, now);
            return work(tx);
        }, cancellationToken);

        // Crash points: the pause or the report is committed, nothing in memory has reacted yet.
        if (tx!.WrotePause)
        {
            CrashPoints.Reached(CrashPoint.RateLimitPersisted);
        }

        if (tx.WroteOutbox)
        {
            CrashPoints.Reached(CrashPoint.OutboxWritten);
        }

        return result;
    }

    public ValueTask DisposeAsync()
    {
        _writeGate.Dispose();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        return ValueTask.CompletedTask;
    }

    private static async Task ApplyPragmasAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private Task MigrateAsync(CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            await using (var create = connection.CreateCommand())
            {
                create.Transaction = transaction;
                create.CommandText = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            long current;
            await using (var read = connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
                current = (long)(await read.ExecuteScalarAsync(cancellationToken))!;
            }

            foreach (var (version, sql) in DaemonSchema.Migrations)
            {
                if (version <= current)
                {
                    continue;
                }

                await using var apply = connection.CreateCommand();
                apply.Transaction = transaction;
                apply.CommandText = sql + $"; INSERT INTO schema_migrations(version, applied_at) VALUES ({version}, 0);";
                await apply.ExecuteNonQueryAsync(cancellationToken);
            }
        }, cancellationToken);
}
