using AgentKanban.Core.Tasks;
using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Server.Leases;

/// <summary>
/// Takes back expired dispatch leases every quarter lease (<see cref="ServerOptions.LeaseSweepInterval"/>, driven by the
/// injected <see cref="TimeProvider"/>): an in-progress task returns to todo with a <c>lease_expired</c> activity entry; a
/// todo task just loses the lease. Either way the epoch is bumped, so sessions started under the old lease can no longer
/// change the task. Each task is one compare-and-set transaction, so concurrent sweepers on other instances and a late
/// heartbeat cannot collide.
/// <para>
/// Grace: a lease may only expire because its machine stopped heartbeating, never because the server could not take the
/// heartbeats. So after any period in which heartbeats could not be accepted, every held lease is first made to last at
/// least one lease from now, before anything is taken back. Such periods are: the server was not running (start-up), the
/// database did not answer (a sweep pass failed, or a request failed on the database — <see cref="StorageHealth"/>), and
/// the server itself stood still (more than half a lease passed since the last pass, which runs every quarter lease: a
/// suspended process or machine). A machine that is alive heartbeats within the grace and keeps its leases; one that is gone loses them one
/// lease later. (Another instance on a shared PostgreSQL grants its own grace, which only delays a dead machine's expiry.)
/// Inside each expiry the check is made again with the clock at that moment: a heartbeat of the machine that arrived
/// within the last lease (<see cref="HeartbeatArrivals"/>, even one the database could not record) keeps the lease, and a
/// database failure seen since the pass began ends the pass, so the next one grants the grace first.
/// </para>
/// </summary>
public sealed class LeaseSweeper(
    IStorageEngine store, ServerClock clock, ServerOptions options, StorageHealth health, HeartbeatArrivals arrivals, ILogger<LeaseSweeper> logger)
    : PeriodicJob(clock.TimeProvider, options.LeaseSweepInterval)
{
    public const string ExpiredAction = "lease_expired";

    private const int BatchSize = 200;

    private bool _graceOwed = true;
    private bool _lastPassFailed;
    private long _storageFailuresSeen;
    private DateTimeOffset? _lastPassAt;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Hosted services start in order, after the storage start-up migrated the schema and before the server listens:
        // the start-up grace is in place before the first heartbeat or sweep.
        await GrantGraceIfOwedAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Makes every held lease last at least one TTL from now; returns how many were extended.</summary>
    public Task<int> GrantGraceAsync(CancellationToken cancellationToken)
    {
        var now = clock.Now();
        return store.WriteAsync((tx, ct) => TaskRows.ExtendLeasesAsync(tx, now + options.LeaseTtl, ct), cancellationToken);
    }

    /// <summary>
    /// The clock reading at which the latest finished timer pass (succeeded or failed) started; tests that move a fake
    /// clock wait for the pass of each step with it.
    /// </summary>
    public DateTimeOffset LastPassAt => new(Interlocked.Read(ref _lastPassTicks), TimeSpan.Zero);

    private long _lastPassTicks;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var started = clock.Now();
        try
        {
            await GrantGraceIfOwedAsync(cancellationToken);
            await SweepOnceAsync(cancellationToken);
            _lastPassFailed = false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _lastPassFailed = true;
            throw;
        }
        finally
        {
            Interlocked.Exchange(ref _lastPassTicks, started.UtcTicks);
        }
    }

    protected override void ReportFailure(Exception exception) => ServerLog.LeaseSweepFailed(logger, exception);

    /// <summary>
    /// Grants the grace when heartbeats may have gone unaccepted since the last pass (see the type's remarks). The
    /// debt is paid only by a grace that committed, so a database that fails again keeps it owed.
    /// </summary>
    private async Task GrantGraceIfOwedAsync(CancellationToken cancellationToken)
    {
        var now = clock.Now();
        var failures = health.Failures;
        string? why = _graceOwed ? "server start"
            : _lastPassFailed ? "database outage"
            : failures != _storageFailuresSeen ? "requests failed on the database"
            : _lastPassAt is { } last && now - last > options.LeaseTtl / 2 ? "server stood still"
            : null;
        _lastPassAt = now;
        if (why is null)
        {
            return;
        }

        var extended = await GrantGraceAsync(cancellationToken);
        _graceOwed = false;
        _storageFailuresSeen = failures;
        if (extended > 0)
        {
            ServerLog.LeasesGivenGrace(logger, why, extended, options.LeaseTtl);
        }
    }

    /// <summary>One pass; returns how many in-progress tasks went back to todo and how many todo leases were cleared.</summary>
    public async Task<(int Returned, int Cleared)> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var returned = 0;
        var cleared = 0;
        var failuresAtStart = health.Failures;
        while (true)
        {
            var now = clock.Now();
            var expired = await store.ReadAsync((db, ct) => TaskRows.ExpiredLeasesAsync(db, now, BatchSize, ct), cancellationToken);

            var changedInBatch = 0;
            foreach (var (id, owner, status, machine) in expired)
            {
                var changed = await ExpireAsync(id, owner, status == TaskStatusNames.InProgress, machine, failuresAtStart, cancellationToken);
                changedInBatch += changed ? 1 : 0;
                if (changed && status == TaskStatusNames.InProgress)
                {
                    returned++;
                }
                else if (changed)
                {
                    cleared++;
                }
            }

            // A full batch that changed nothing (every machine heartbeat lately) would be read again as it is: stop.
            if (expired.Count < BatchSize || changedInBatch == 0)
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

    private Task<bool> ExpireAsync(string id, string ownerId, bool inProgress, string? machineId, long failuresAtStart, CancellationToken cancellationToken) =>
        store.WriteAsync(async (tx, ct) =>
        {
            // Decided again now that the write lock is held: waiting for it may have taken long (a locked or slow
            // database), and heartbeats may have arrived or failed meanwhile.
            if (health.Failures != failuresAtStart)
            {
                throw new GraceOwedException();
            }

            var now = clock.Now();
            if (machineId is not null && arrivals.Latest(machineId) is { } arrived && arrived + options.LeaseTtl > now)
            {
                return false;
            }

            if (await TaskRows.ExpireLeaseAsync(tx, id, inProgress, now, ct) == 0)
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
                var activity = await ActivityRows.AddAsync(tx, id, "system", "lease-sweeper", ExpiredAction,
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

/// <summary>A sweep pass saw the database fail under it: it stops, and the next pass grants the grace before sweeping.</summary>
public sealed class GraceOwedException : Exception
{
    public GraceOwedException()
        : base("requests failed on the database during the sweep; every lease gets its grace before the next sweep")
    {
    }

    public GraceOwedException(string message)
        : base(message)
    {
    }

    public GraceOwedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
