using System.Data.Common;
using System.Globalization;

namespace AgentKanban.Server.Streams;

/// <summary>
/// <see cref="IEventLog"/> over plain ADO.NET: the SQL is the same on SQLite and PostgreSQL.
/// Each call opens a connection, reads one bounded batch into memory and gives the connection back,
/// so no connection is held while a stream waits or writes to a slow client.
/// </summary>
internal sealed class DbEventLog(Func<CancellationToken, ValueTask<DbConnection>> openConnection) : IEventLog
{
    private const string Columns = "id, type, owner_id, board_id, task_id, machine_id, agent_id, payload";

    public async Task<long> GetLatestIdAsync(CancellationToken cancellationToken)
    {
        var connection = await openConnection(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = "SELECT COALESCE(MAX(id), 0) FROM events";
                var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
            }
        }
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadAsync(long afterId, long? upToId, StreamScope? scope, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var connection = await openConnection(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = BuildSql(upToId is not null, scope);
                AddParameter(command, "after", afterId);
                AddParameter(command, "limit", limit);
                if (upToId is { } upTo)
                {
                    AddParameter(command, "upto", upTo);
                }

                if (scope is not null)
                {
                    AddParameter(command, "owner", scope.OwnerId);
                    AddParameter(command, "target", scope.TargetId);
                }

                var rows = new List<StoredEvent>(Math.Min(limit, 64));
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        rows.Add(ReadRow(reader));
                    }
                }

                return rows;
            }
        }
    }

    private static string BuildSql(bool bounded, StreamScope? scope)
    {
        var filter = scope?.Kind switch
        {
            null => string.Empty,
            StreamKind.Board => " AND owner_id = @owner AND board_id = @target",
            StreamKind.Task => " AND owner_id = @owner AND task_id = @target",
            StreamKind.Machine => " AND owner_id = @owner AND (agent_id IS NOT NULL OR machine_id = @target)",
            _ => throw new ArgumentOutOfRangeException(nameof(scope)),
        };
        var upper = bounded ? " AND id <= @upto" : string.Empty;
        return $"SELECT {Columns} FROM events WHERE id > @after{upper}{filter} ORDER BY id LIMIT @limit";
    }

    private static StoredEvent ReadRow(DbDataReader reader)
    {
        var id = reader.GetInt64(0);
        var type = reader.GetString(1);
        var payload = reader.IsDBNull(7) ? "{}" : reader.GetString(7);
        return new StoredEvent(
            id,
            type,
            reader.GetString(2),
            NullableString(reader, 3),
            NullableString(reader, 4),
            NullableString(reader, 5),
            NullableString(reader, 6),
            EventFrames.Build(id, type, payload));
    }

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
