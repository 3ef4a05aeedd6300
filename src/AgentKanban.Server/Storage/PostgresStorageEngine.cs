using System.Data.Common;
using Npgsql;

namespace AgentKanban.Server.Storage;

/// <summary>
/// A shared PostgreSQL database (any number of server instances). Writes are READ COMMITTED transactions whose
/// state changes are compare-and-set UPDATEs; event ids are allocated in commit order under a transaction-scoped
/// advisory lock and announced with <c>pg_notify('ak_events', id)</c>.
/// </summary>
public sealed class PostgresStorageEngine : IStorageEngine
{
    /// <summary>Session-level advisory lock held while migrating, so concurrent starters apply each script once.</summary>
    private const long MigrationLockKey = 0x616b5f6d69677261; // "ak_migra"

    private readonly NpgsqlDataSource _dataSource;
    private readonly IEventSignal _signal;
    private readonly TimeProvider _time;

    public PostgresStorageEngine(string connectionString, IEventSignal? signal, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ConnectionString = connectionString;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            // Let Npgsql keep server-side prepared statements for the server's fixed set of queries.
            builder.MaxAutoPrepare = 128;
            builder.AutoPrepareMinUsages = 2;
        }

        // The server never changes session state on pooled connections (locks are transaction-scoped; LISTEN uses
        // its own connection), so skip the reset round trip every time a connection goes back to the pool.
        builder.NoResetOnClose = true;

        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _signal = signal ?? NoopEventSignal.Instance;
        _time = timeProvider;
    }

    public StorageKind Kind => StorageKind.Postgres;

    public string? ConnectionString { get; }

    public SqlDialect Dialect => SqlDialect.Postgres;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await connection.Command("SELECT pg_advisory_lock(@k)").Add("@k", MigrationLockKey).ExecAsync(cancellationToken);
        try
        {
            await Migrations.ApplyAsync(connection, Kind, _time.GetUtcNow(), cancellationToken);
        }
        finally
        {
            await connection.Command("SELECT pg_advisory_unlock(@k)").Add("@k", MigrationLockKey).ExecAsync(CancellationToken.None);
        }
    }

    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public async Task<T> WriteAsync<T>(Func<WriteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await WriteOnceAsync(work, cancellationToken);
            }
            catch (PostgresException e) when (attempt < 4 && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // The transaction was rolled back as a whole; running the work again from the start is safe.
            }
            catch (DbException e)
            {
                throw StorageException.Wrap(e);
            }
        }
    }

    public async Task<T> ReadAsync<T>(Func<DbScope, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await read(new DbScope(connection, null, Dialect), cancellationToken);
        }
        catch (DbException e)
        {
            throw StorageException.Wrap(e);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<T> WriteOnceAsync<T>(Func<WriteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var tx = new WriteTransaction(connection, transaction, Dialect);
        var result = await work(tx, cancellationToken);
        var latest = await EventLog.AppendAsync(tx, cancellationToken);
        // Crash point: until this commit nothing is visible (the NOTIFY too is delivered only on commit).
        await transaction.CommitAsync(CancellationToken.None);
        if (latest > 0)
        {
            _signal.Notify(latest);
        }

        return result;
    }
}
