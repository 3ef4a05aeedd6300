using System.Data.Common;

namespace AgentKanban.Server.Storage;

/// <summary>
/// The one storage seam: SQLite and PostgreSQL behind the same few operations. Reads open a pooled connection;
/// writes run inside <see cref="WriteAsync{T}"/>, which owns the transaction, appends the buffered events to the
/// event log in commit order and wakes the live streams after the commit.
/// </summary>
public interface IStorageEngine : IAsyncDisposable
{
    StorageKind Kind { get; }

    /// <summary>The PostgreSQL connection string (so a listener can open its own <c>LISTEN</c> connection); null for SQLite.</summary>
    string? ConnectionString { get; }

    /// <summary>The SQL spellings that differ between the engines.</summary>
    SqlDialect Dialect { get; }

    /// <summary>Applies the numbered migrations not yet recorded in <c>schema_migrations</c> (safe with concurrent starters).</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>An open connection for reads (dispose it when done). Never write through it.</summary>
    ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction (SQLite: the single writer, <c>BEGIN IMMEDIATE</c>).
    /// Commits when it returns, rolls back when it throws. Events added with <see cref="WriteTransaction.AddEvent"/>
    /// are inserted just before the commit; after the commit <c>IEventSignal.Notify</c> is called with the latest id.
    /// </summary>
    Task<T> WriteAsync<T>(Func<WriteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>Runs a read on a pooled connection (with cached prepared statements where the engine keeps them).</summary>
    Task<T> ReadAsync<T>(Func<DbScope, CancellationToken, Task<T>> read, CancellationToken cancellationToken);
}
