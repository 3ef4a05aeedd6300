using System.Data.Common;

namespace AgentKanban.Server.Storage;

/// <summary>A connection (and, inside a write, its transaction) that queries run on: lets one query serve reads and writes.</summary>
public readonly record struct DbScope(DbConnection Connection, DbTransaction? Transaction, SqlDialect Dialect)
{
    public DbCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = sql;
        return command;
    }
}
