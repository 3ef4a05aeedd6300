using AgentKanban.Core.Tasks;
using AgentKanban.Server.Data;
using AgentKanban.Server.Storage;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Server.Leases;

/// <summary>
/// Takes back expired dispatch leases every few seconds (driven by the injected <see cref="TimeProvider"/>): an
/// in-progress task returns to todo with a <c>lease_expired</c> activity entry; a todo task just loses the lease.
/// Either way the epoch is bumped, so sessions started under the old lease can no longer change the task. Each task
/// is one compare-and-set transaction, so concurrent sweepers on other instances and a late heartbeat cannot collide.
/// <para>
/// Start-up grace: before the first sweep, every lease is made to last at least one TTL from now. While the server was
/// down no machine could heartbeat, so every lease would look expired on restart; taking them back at once would fence
/// off the agents still running on healthy machines and dispatch their tasks again. A machine that is alive heartbeats
/// within the grace and keeps its leases; one that is gone loses them one TTL after the restart. (Another instance
/// starting on a shared PostgreSQL grants the same grace, which only delays the expiry of a dead machine's leases.)
/// </para>
/// </summary>
public sealed class LeaseSweeper(IStorageEngine store, ServerClock clock, ServerOptions options, ILogger<LeaseSweeper> logger)
    : PeriodicJob(clock.TimeProvider, Interval)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public const string ExpiredAction = "lease_expired";

    private const int BatchSize = 200;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Hosted services start in order, after the storage start-up migrated the schema and before the server listens.
        var extended = await GrantStartupGraceAsync(cancellationToken);
        if (extended > 0)
        {
            ServerLog.LeasesGivenStartupGrace(logger, extended, options.LeaseTtl);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>Makes every held lease last at least one TTL from now; returns how many were extended.</summary>
    public Task<int> GrantStartupGraceAsync(CancellationToken cancellationToken)
    {
        var now = clock.Now();
        return store.WriteAsync((tx, ct) => tx.Command(
                "UPDATE tasks SET lease_expires_at = @until WHERE lease_machine_id IS NOT NULL AND lease_expires_at < @until")
            .Add("@until", now + options.LeaseTtl)
            .ExecAsync(ct), cancellationToken);
    }

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => SweepOnceAsync(cancellationToken);

    protected override void ReportFailure(Exception exception) => ServerLog.LeaseSweepFailed(logger, exception);

    /// <summary>One pass; returns how many in-progress tasks went back to todo and how many todo leases were cleared.</summary>
    public async Task<(int Returned, int Cleared)> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var returned = 0;
        var cleared = 0;
        while (true)
        {
            var now = clock.Now();
            var expired = await store.ReadAsync(async (db, ct) =>
            {
                await using var command = db.Command(
                    "SELECT id, owner_id, status, lease_machine_id FROM tasks WHERE lease_expires_at <= @now AND status IN (@todo, @progress) " +
                    "ORDER BY lease_expires_at LIMIT @n")
                    .Add("@now", now).Add("@todo", TaskStatusNames.Todo).Add("@progress", TaskStatusNames.InProgress).Add("@n", (long)BatchSize);
                var rows = new List<(string Id, string Owner, string Status, string? Machine)>();
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3)));
                }

                return rows;
            }, cancellationToken);

            foreach (var (id, owner, status, machine) in expired)
            {
                var changed = await ExpireAsync(id, owner, status == TaskStatusNames.InProgress, machine, now, cancellationToken);
                if (changed && status == TaskStatusNames.InProgress)
                {
                    returned++;
                }
                else if (changed)
                {
                    cleared++;
                }
            }

            if (expired.Count < BatchSize)
            {
                break;
            }
        }

        if (returned + cleared > 0)
        {
            ServerLog.LeasesSwept(logger, returned, cleared);
        }

        return (returned, cleared);
    }

    private Task<bool> ExpireAsync(string id, string ownerId, bool inProgress, string? machineId, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.WriteAsync(async (tx, ct) =>
        {
            var sql = inProgress
                ? "UPDATE tasks SET status = @todo, epoch = epoch + 1, lease_machine_id = NULL, lease_expires_at = NULL, " +
                  "active_session_id = NULL, updated_at = @now WHERE id = @id AND status = @progress AND lease_expires_at <= @now"
                : "UPDATE tasks SET epoch = epoch + 1, lease_machine_id = NULL, lease_expires_at = NULL, updated_at = @now " +
                  "WHERE id = @id AND status = @todo AND lease_expires_at <= @now";
            var rows = await tx.Command(sql)
                .Add("@todo", TaskStatusNames.Todo).Add("@progress", TaskStatusNames.InProgress).Add("@now", now).Add("@id", id)
                .ExecAsync(ct);
            if (rows == 0)
            {
                return false; // A heartbeat, a transition or another instance got there first.
            }

            var task = await TaskRows.GetAsync(tx.Scope, ownerId, id, now, ct);
            if (task is null)
            {
                return false;
            }

            if (inProgress)
            {
                var activity = await TaskRows.AddActivityAsync(tx, id, "system", "lease-sweeper", ExpiredAction,
                    $"lease of machine {machineId} expired; task returned to todo", null, now, ct);
                tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, ownerId, task, now));
                tx.AddEvent(ServerEvents.Activity(ownerId, task, activity));
            }
            else
            {
                tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, ownerId, task, now));
            }

            return true;
        }, cancellationToken);
}
