using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>Dispatch leases on tasks: taking, renewing, giving back and expiring them, and the daemon's "why" note.</summary>
public static partial class TaskRows
{
    // One compare-and-set: a todo, assigned, unblocked task whose schedule has come, not leased by another machine
    // (or its lease expired). A new lease bumps the epoch (fencing); the holder asking again only extends it.
    private const string LeaseSql =
        "UPDATE tasks SET epoch = CASE WHEN lease_machine_id = @m AND lease_expires_at > @now THEN epoch ELSE epoch + 1 END, " +
        "lease_machine_id = @m, lease_expires_at = @exp, updated_at = @now " +
        "WHERE id = @id AND owner_id = @o AND status = @todo AND assigned_to IS NOT NULL " +
        "AND (scheduled_at IS NULL OR scheduled_at <= @now) " +
        "AND (lease_machine_id IS NULL OR lease_expires_at <= @now OR lease_machine_id = @m) " +
        "AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks x ON x.id = d.depends_on " +
        "WHERE d.task_id = tasks.id AND x.status NOT IN (@done, @cancelled)) " +
        "RETURNING epoch";

    /// <summary>A task's lease as a session opening needs to check it.</summary>
    public sealed record LeaseState(string? AssignedTo, long Epoch, string? LeaseMachineId, DateTimeOffset? LeaseExpiresAt);

    /// <summary>An expired lease the sweeper may take back.</summary>
    public sealed record ExpiredLease(string Id, string OwnerId, string Status, string? MachineId);

    /// <summary>Leases the task to the machine until <paramref name="expires"/>; the lease's epoch, or null when the task cannot be leased now.</summary>
    public static async Task<long?> TryLeaseAsync(
        WriteTransaction tx, string ownerId, string id, string machineId, DateTimeOffset now, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var epoch = await tx.Command(LeaseSql)
            .Add("@m", machineId).Add("@now", now).Add("@exp", expires).Add("@id", id).Add("@o", ownerId)
            .Add("@todo", TaskStatusNames.Todo).Add("@done", TaskStatusNames.Done).Add("@cancelled", TaskStatusNames.Cancelled)
            .ScalarAsync(cancellationToken);
        return epoch is null ? null : Convert.ToInt64(epoch, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The holder gives a todo task's lease back (the epoch is bumped); with <paramref name="expectedEpoch"/> only the lease
    /// of that epoch. Returns 0 when nothing matched.
    /// </summary>
    public static Task<int> ReturnLeaseAsync(
        WriteTransaction tx, string ownerId, string id, string? machineId, long? expectedEpoch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command(
                "UPDATE tasks SET lease_machine_id = NULL, lease_expires_at = NULL, epoch = epoch + 1, updated_at = @now " +
                "WHERE id = @id AND owner_id = @o AND lease_machine_id = @m AND status = @todo AND (@e IS NULL OR epoch = @e)")
            .Add("@now", now).Add("@id", id).Add("@o", ownerId).Add("@m", machineId).Add("@todo", TaskStatusNames.Todo)
            .Add("@e", expectedEpoch)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Sets (or with null clears) why the daemon is not running the task; 0 when there is no such task.</summary>
    public static Task<int> SetWhyAsync(WriteTransaction tx, string ownerId, string id, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE tasks SET why = @r, why_at = @now WHERE id = @id AND owner_id = @o")
            .Add("@r", reason).Add("@now", now).Add("@id", id).Add("@o", ownerId)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Inside a write: the task's assignee, epoch and lease, share-locked (PostgreSQL) to the commit; null when there is no such task.</summary>
    public static async Task<LeaseState?> LockLeaseStateAsync(WriteTransaction tx, string ownerId, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command("SELECT assigned_to, epoch, lease_machine_id, lease_expires_at FROM tasks WHERE id = @id AND owner_id = @o" +
                                             tx.Dialect.ForShare).Add("@id", id).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LeaseState(reader.GetStringOrNull(0), reader.GetInt64(1), reader.GetStringOrNull(2), reader.GetTimeOrNull(3))
            : null;
    }

    /// <summary>
    /// A heartbeat: every lease the machine holds on a todo, in-progress or in-review task now lasts until
    /// <paramref name="expires"/> — expired ones too, as long as nobody took them over.
    /// </summary>
    public static Task<int> RenewLeasesAsync(WriteTransaction tx, string ownerId, string machineId, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE tasks SET lease_expires_at = @exp WHERE lease_machine_id = @m AND owner_id = @o AND status IN (@a, @b, @c)")
            .Add("@exp", expires).Add("@m", machineId).Add("@o", ownerId)
            .Add("@a", TaskStatusNames.Todo).Add("@b", TaskStatusNames.InProgress).Add("@c", TaskStatusNames.InReview)
            .ExecAsync(cancellationToken);
    }

    /// <summary>The leases a machine holds, by task id.</summary>
    public static async Task<List<HeldLeaseDto>> HeldLeasesAsync(DbScope db, string ownerId, string machineId, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
                "SELECT id, epoch, status, lease_expires_at, active_session_id FROM tasks WHERE lease_machine_id = @m AND owner_id = @o ORDER BY id")
            .Add("@m", machineId).Add("@o", ownerId);
        var leases = new List<HeldLeaseDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new HeldLeaseDto(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetTime(3), reader.GetStringOrNull(4)));
        }

        return leases;
    }

    /// <summary>Ends the machine's unexpired leases now (the sweeper then takes them back).</summary>
    public static Task<int> EndLeasesAsync(WriteTransaction tx, string machineId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE tasks SET lease_expires_at = @now WHERE lease_machine_id = @m AND lease_expires_at > @now")
            .Add("@now", now).Add("@m", machineId).ExecAsync(cancellationToken);
    }

    /// <summary>Makes every held lease last at least until <paramref name="until"/>; returns how many were extended.</summary>
    public static Task<int> ExtendLeasesAsync(WriteTransaction tx, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE tasks SET lease_expires_at = @until WHERE lease_machine_id IS NOT NULL AND lease_expires_at < @until")
            .Add("@until", until)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Up to <paramref name="limit"/> todo or in-progress tasks whose lease expired by <paramref name="now"/>, oldest expiry first.</summary>
    public static async Task<List<ExpiredLease>> ExpiredLeasesAsync(DbScope db, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
                "SELECT id, owner_id, status, lease_machine_id FROM tasks WHERE lease_expires_at <= @now AND status IN (@todo, @progress) " +
                "ORDER BY lease_expires_at LIMIT @n")
            .Add("@now", now).Add("@todo", TaskStatusNames.Todo).Add("@progress", TaskStatusNames.InProgress).Add("@n", (long)limit);
        var rows = new List<ExpiredLease>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ExpiredLease(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3)));
        }

        return rows;
    }

    /// <summary>
    /// Takes an expired lease back (compare-and-set on the status and the expiry, epoch bumped): an in-progress task
    /// returns to todo and loses its session, a todo task just the lease. 0 when a heartbeat, a transition or another
    /// instance got there first.
    /// </summary>
    public static Task<int> ExpireLeaseAsync(WriteTransaction tx, string id, bool inProgress, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var sql = inProgress
            ? "UPDATE tasks SET status = @todo, epoch = epoch + 1, lease_machine_id = NULL, lease_expires_at = NULL, " +
              "active_session_id = NULL, updated_at = @now WHERE id = @id AND status = @progress AND lease_expires_at <= @now"
            : "UPDATE tasks SET epoch = epoch + 1, lease_machine_id = NULL, lease_expires_at = NULL, updated_at = @now " +
              "WHERE id = @id AND status = @todo AND lease_expires_at <= @now";
        return tx.Command(sql)
            .Add("@todo", TaskStatusNames.Todo).Add("@progress", TaskStatusNames.InProgress).Add("@now", now).Add("@id", id)
            .ExecAsync(cancellationToken);
    }
}
