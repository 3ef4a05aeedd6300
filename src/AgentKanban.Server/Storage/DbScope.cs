using System.Data.Common;

namespace AgentKanban.Server.Storage;

/// <summary>A connection (and, inside a write, its transaction) that queries run on: lets one query serve reads and writes.</summary>
public readonly record struct DbScope(DbConnection Connection, DbTransaction? Transaction, SqlDialect Dialect)
{
    internal SqliteCommandCache? Cache { get; init; }

    /// <summary>
    /// A command for <paramref name="sql"/> in this scope (on SQLite connections the engine owns, a cached prepared
    /// statement: dispose it as usual, it stays prepared).
    /// </summary>
    public DbCommand Command(string sql)
    {
        if (Cache is not null)
        {
            return Cache.Get(sql, Transaction);
        }

        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = sql;
        return command;
    }
}
