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

    private const string InsertSql =
        "INSERT INTO events (type, owner_id, board_id, task_id, machine_id, agent_id, payload, created_at) " +
        "VALUES (@type, @owner, @board, @task, @machine, @agent, @payload, @at) RETURNING id";

    /// <summary>Inserts the events; returns the highest id written, or 0 when there were none.</summary>
    public static async Task<long> AppendAsync(WriteTransaction tx, CancellationToken cancellationToken)
    {
        var events = tx.Events;
        if (events.Count == 0)
        {
            return 0;
        }

        if (tx.Kind == StorageKind.Postgres)
        {
            await tx.Command("SELECT pg_advisory_xact_lock(@k)").Add("@k", OrderLockKey).ExecAsync(cancellationToken);
        }

        long latest = 0;
        foreach (var record in events)
        {
            var payload = JsonSerializer.Serialize(record.Payload with { Id = 0 }, ContractsJsonContext.Default.ServerEventDto);
            var id = await tx.Command(InsertSql)
                .Add("@type", record.Payload.Type)
                .Add("@owner", record.OwnerId)
                .Add("@board", record.BoardId)
                .Add("@task", record.TaskId)
                .Add("@machine", record.MachineId)
                .Add("@agent", record.AgentId)
                .Add("@payload", payload)
                .Add("@at", record.Payload.CreatedAt)
                .ScalarAsync(cancellationToken);
            latest = Math.Max(latest, Convert.ToInt64(id, System.Globalization.CultureInfo.InvariantCulture));
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
}
