using System.Data.Common;
using System.Globalization;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Streams;

/// <summary>
/// <see cref="IEventLog"/> over plain ADO.NET: the SQL is the same on SQLite and PostgreSQL.
/// Each call opens a connection, reads one bounded batch into memory and gives the connection back,
/// so no connection is held while a stream waits or writes to a slow client.
/// </summary>
internal sealed class DbEventLog(Func<CancellationToken, ValueTask<DbConnection>> openConnection) : IEventLog
{
    private const string Columns = "id, type, owner_id, board_id, task_id, machine_id, agent_id, payload";

    /// <summary>The highest id in the table (pruning may have removed higher ones: the head also counts the marks).</summary>
    private const string HeadSql = "(SELECT COALESCE(MAX(id), 0) FROM events)";

    public async Task<long> GetLatestIdAsync(CancellationToken cancellationToken) =>
        (await GetPositionAsync(scope: null, cancellationToken).ConfigureAwait(false)).Head;

    public async Task<LogPosition> GetPositionAsync(StreamScope? scope, CancellationToken cancellationToken)
    {
        var connection = await openConnection(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                // One statement, so the head and the floor come from one snapshot of the log.
                command.CommandText = $"SELECT {HeadSql}, {EventPruneMarks.HighestSql}, {EventPruneMarks.FloorSql(scope?.Kind == StreamKind.Task)}";
                if (scope?.Kind == StreamKind.Task)
                {
                    AddParameter(command, "task", scope.TargetId);
                }

                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    return new LogPosition(Math.Max(Int64(reader, 0), Int64(reader, 1)), Int64(reader, 2));
                }
            }
        }
    }

    public async Task<CatchUpBatch> ReadCatchUpAsync(long afterId, long upToId, StreamScope scope, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var connection = await openConnection(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                // The rows and the prune marks in one statement (one snapshot): a pruning that removed rows of this range
                // also shows in the floor it returns, so a gap can never pass unnoticed. The one-row side of the join
                // carries head and floor even when no event matches.
                command.CommandText =
                    $"SELECT m.head, m.highest, m.floor, e.* FROM (SELECT {HeadSql} AS head, {EventPruneMarks.HighestSql} AS highest, " +
                    $"{EventPruneMarks.FloorSql(scope.Kind == StreamKind.Task)} AS floor) m " +
                    $"LEFT JOIN ({BuildSql(bounded: true, scope)}) e ON 1 = 1 ORDER BY e.id";
                AddParameter(command, "after", afterId);
                AddParameter(command, "limit", limit);
                AddParameter(command, "upto", upToId);
                AddParameter(command, "owner", scope.OwnerId);
                AddParameter(command, "target", scope.TargetId);
                if (scope.Kind == StreamKind.Task)
                {
                    AddParameter(command, "task", scope.TargetId);
                }

                var rows = new List<StoredEvent>(Math.Min(limit, 64));
                var position = default(LogPosition);
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        position = new LogPosition(Math.Max(Int64(reader, 0), Int64(reader, 1)), Int64(reader, 2));
                        if (!reader.IsDBNull(3))
                        {
                            rows.Add(ReadRow(reader, 3));
                        }
                    }
                }

                return new CatchUpBatch(rows, position);
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

    private static StoredEvent ReadRow(DbDataReader reader, int first = 0)
    {
        var id = reader.GetInt64(first);
        var type = reader.GetString(first + 1);
        var payload = reader.IsDBNull(first + 7) ? "{}" : reader.GetString(first + 7);
        return new StoredEvent(
            id,
            type,
            reader.GetString(first + 2),
            NullableString(reader, first + 3),
            NullableString(reader, first + 4),
            NullableString(reader, first + 5),
            NullableString(reader, first + 6),
            EventFrames.Build(id, type, payload));
    }

    private static long Int64(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
