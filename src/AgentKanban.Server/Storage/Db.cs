using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Server.Storage;

/// <summary>
/// Parameter binding and column reading shared by both engines. Timestamps are stored as INTEGER Unix milliseconds
/// in SQLite and as <c>timestamptz</c> in PostgreSQL; these helpers hide the difference.
/// </summary>
public static class Db
{
    public static DbCommand Add(this DbCommand command, string name, string? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.DbType = DbType.String;
        p.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(p);
        return command;
    }

    public static DbCommand Add(this DbCommand command, string name, long value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
        return command;
    }

    public static DbCommand Add(this DbCommand command, string name, long? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.DbType = DbType.Int64;
        p.Value = value.HasValue ? value.Value : DBNull.Value;
        command.Parameters.Add(p);
        return command;
    }

    public static DbCommand Add(this DbCommand command, string name, bool value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
        return command;
    }

    public static DbCommand Add(this DbCommand command, string name, DateTimeOffset? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var p = command.CreateParameter();
        p.ParameterName = name;
        var sqlite = command is SqliteCommand;
        p.DbType = sqlite ? DbType.Int64 : DbType.DateTimeOffset;
        p.Value = value is null
            ? DBNull.Value
            : sqlite ? value.Value.ToUnixTimeMilliseconds() : value.Value.UtcDateTime;
        command.Parameters.Add(p);
        return command;
    }

    public static DbCommand Command(this DbConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public static string? GetStringOrNull(this DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    public static long? GetInt64OrNull(this DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
    }

    public static DateTimeOffset GetTime(this DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetValue(ordinal) switch
        {
            long ms => DateTimeOffset.FromUnixTimeMilliseconds(ms),
            DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
            DateTimeOffset dto => dto,
            var other => throw new InvalidCastException($"column {ordinal} holds {other.GetType().Name}, not a timestamp"),
        };
    }

    public static DateTimeOffset? GetTimeOrNull(this DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.IsDBNull(ordinal) ? null : reader.GetTime(ordinal);
    }

    /// <summary>Splits a <see cref="SqlDialect.JoinSeparated"/> aggregate back into its values (sorted, for a stable shape).</summary>
    public static IReadOnlyList<string> GetSeparated(this DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.IsDBNull(ordinal))
        {
            return [];
        }

        var values = reader.GetString(ordinal).Split('\u001f', StringSplitOptions.RemoveEmptyEntries);
        Array.Sort(values, StringComparer.Ordinal);
        return values;
    }

    public static async Task<int> ExecAsync(this DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using (command)
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public static async Task<object?> ScalarAsync(this DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using (command)
        {
            var value = await command.ExecuteScalarAsync(cancellationToken);
            return value is DBNull ? null : value;
        }
    }
}
