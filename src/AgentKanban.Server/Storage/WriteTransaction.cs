using System.Data.Common;

namespace AgentKanban.Server.Storage;

/// <summary>
/// The open write transaction handed to <see cref="IStorageEngine.WriteAsync{T}"/> work. Commands created here run
/// inside the transaction; events are buffered and written by the engine just before the commit (so the
/// PostgreSQL event-order lock is held only for the last instant of the transaction).
/// </summary>
public sealed class WriteTransaction
{
    private readonly List<EventRecord> _events = [];

    private readonly SqliteCommandCache? _cache;

    internal WriteTransaction(DbConnection connection, DbTransaction transaction, SqlDialect dialect, SqliteCommandCache? cache = null)
    {
        Connection = connection;
        Transaction = transaction;
        Dialect = dialect;
        _cache = cache;
    }

    public DbConnection Connection { get; }

    public DbTransaction Transaction { get; }

    public SqlDialect Dialect { get; }

    public StorageKind Kind => Dialect.Kind;

    /// <summary>The same connection and transaction, for queries shared with the read side.</summary>
    public DbScope Scope => new(Connection, Transaction, Dialect) { Cache = _cache };

    internal IReadOnlyList<EventRecord> Events => _events;

    /// <summary>A command bound to this transaction.</summary>
    public DbCommand Command(string sql) => Scope.Command(sql);

    /// <summary>Queues an event for the log; it is inserted (and numbered) when the transaction commits.</summary>
    public void AddEvent(EventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _events.Add(record);
    }
}
