using System.Text.Json;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Storage;

/// <summary>Writes a transaction's buffered events into the <c>events</c> table (the durable, numbered log).</summary>
internal static class EventLog
{
    /// <summary>Channel that PostgreSQL instances <c>NOTIFY</c> with the latest committed event id.</summary>
    public const string NotifyChannel = "ak_events";

    /// <summary>
    /// Key of the transaction-scoped advisory lock that orders event inserts across PostgreSQL instances: taken
    /// right before the inserts and held to the commit, so ids become visible in increasing order and a reader
    /// resuming after id N never misses a lower id that commits late.
    /// </summary>
    public const long OrderLockKey = 0x616b5f6576656e74; // "ak_event"

    private const string InsertColumns =
        "INSERT INTO events (type, owner_id, board_id, task_id, machine_id, agent_id, payload, created_at, session_id, agent_seq) VALUES ";

    /// <summary>One multi-row INSERT per transaction: <c>(…), (…) RETURNING id</c> (the text is cached per row count).</summary>
    private static readonly string[] InsertSql = Enumerable.Range(1, 8).Select(BuildInsert).ToArray();

    /// <summary>Inserts the events; returns the highest id written, or 0 when there were none.</summary>
    public static async Task<long> AppendAsync(WriteTransaction tx, CancellationToken cancellationToken)
    {
        var events = tx.Events;
        if (events.Count == 0)
        {
            return 0;
        }

        if (tx.Kind == StorageKind.Postgres && events.Count <= InsertSql.Length)
        {
            return await AppendPostgresAsync(tx, events, cancellationToken);
        }

        if (tx.Kind == StorageKind.Postgres)
        {
            await tx.Command("SELECT pg_advisory_xact_lock(@k)").Add("@k", OrderLockKey).ExecAsync(cancellationToken);
        }

        long latest = 0;
        for (var offset = 0; offset < events.Count; offset += InsertSql.Length)
        {
            var count = Math.Min(InsertSql.Length, events.Count - offset);
            var command = tx.Command(InsertSql[count - 1]);
            await using (command)
            {
                for (var i = 0; i < count; i++)
                {
                    var record = events[offset + i];
                    var payload = JsonSerializer.Serialize(record.Payload with { Id = 0 }, ContractsJsonContext.Default.ServerEventDto);
                    command.Add(Parameters[i][0], record.Payload.Type)
                        .Add(Parameters[i][1], record.OwnerId)
                        .Add(Parameters[i][2], record.BoardId)
                        .Add(Parameters[i][3], record.TaskId)
                        .Add(Parameters[i][4], record.MachineId)
                        .Add(Parameters[i][5], record.AgentId)
                        .Add(Parameters[i][6], payload)
                        .Add(Parameters[i][7], record.Payload.CreatedAt)
                        .Add(Parameters[i][8], record.SessionId)
                        .Add(Parameters[i][9], record.AgentSeq);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    latest = Math.Max(latest, reader.GetInt64(0));
                }
            }
        }

        if (tx.Kind == StorageKind.Postgres)
        {
            await tx.Command("SELECT pg_notify(@channel, @id)")
                .Add("@channel", NotifyChannel)
                .Add("@id", latest.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .ExecAsync(cancellationToken);
        }

        return latest;
    }

    /// <summary>
    /// PostgreSQL: the order lock, the insert and the notification in one round trip (a batch runs its statements in
    /// order, in the open transaction).
    /// </summary>
    private static async Task<long> AppendPostgresAsync(WriteTransaction tx, IReadOnlyList<EventRecord> events, CancellationToken cancellationToken)
    {
        await using var batch = tx.Connection.CreateBatch();
        batch.Transaction = tx.Transaction;
        var lockCommand = batch.CreateBatchCommand();
        lockCommand.CommandText = "SELECT pg_advisory_xact_lock(@k)";
        AddParameter(lockCommand, "@k", OrderLockKey);
        batch.BatchCommands.Add(lockCommand);

        var insert = batch.CreateBatchCommand();
        insert.CommandText = InsertSql[events.Count - 1];
        for (var i = 0; i < events.Count; i++)
        {
            var record = events[i];
            AddParameter(insert, Parameters[i][0], record.Payload.Type);
            AddParameter(insert, Parameters[i][1], record.OwnerId);
            AddParameter(insert, Parameters[i][2], record.BoardId);
            AddParameter(insert, Parameters[i][3], record.TaskId);
            AddParameter(insert, Parameters[i][4], record.MachineId);
            AddParameter(insert, Parameters[i][5], record.AgentId);
            AddParameter(insert, Parameters[i][6], JsonSerializer.Serialize(record.Payload with { Id = 0 }, ContractsJsonContext.Default.ServerEventDto));
            AddParameter(insert, Parameters[i][7], record.Payload.CreatedAt.UtcDateTime);
            AddParameter(insert, Parameters[i][8], record.SessionId);
            AddParameter(insert, Parameters[i][9], record.AgentSeq, System.Data.DbType.Int64);
        }

        batch.BatchCommands.Add(insert);
        var notify = batch.CreateBatchCommand();
        // The payload is the highest id of this insert (known only inside the batch: max over the inserted rows).
        notify.CommandText = "SELECT pg_notify(@channel, (SELECT MAX(id) FROM events)::text)";
        AddParameter(notify, "@channel", NotifyChannel);
        batch.BatchCommands.Add(notify);

        long latest = 0;
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken); // past the lock's result
        while (await reader.ReadAsync(cancellationToken))
        {
            latest = Math.Max(latest, reader.GetInt64(0));
        }

        return latest;
    }

    private static void AddParameter(System.Data.Common.DbBatchCommand command, string name, object? value,
        System.Data.DbType nullType = System.Data.DbType.String)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        if (value is null)
        {
            // A typed NULL: PostgreSQL refuses a text NULL for a bigint column.
            parameter.DbType = nullType;
        }

        command.Parameters.Add(parameter);
    }

    private static readonly string[][] Parameters = Enumerable.Range(0, 8)
        .Select(i => new[] { "type", "owner", "board", "task", "machine", "agent", "payload", "at", "session", "seq" }.Select(n => $"@{n}{i}").ToArray())
        .ToArray();

    private static string BuildInsert(int rows) =>
        InsertColumns + string.Join(", ", Enumerable.Range(0, rows).Select(i =>
            $"(@type{i}, @owner{i}, @board{i}, @task{i}, @machine{i}, @agent{i}, @payload{i}, @at{i}, @session{i}, @seq{i})")) + " RETURNING id";
}
