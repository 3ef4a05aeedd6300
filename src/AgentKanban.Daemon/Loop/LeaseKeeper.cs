using AgentKanban.Daemon.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// This machine's side of the dispatch leases: how long the server's leases live, when the server last confirmed them,
/// and self-fencing. The server takes a lease back one lease length after the last heartbeat it accepted; the daemon
/// cannot tell a network partition from anything else, so it must assume the worst: when no heartbeat was confirmed for
/// two thirds of a lease, it stops every agent at once (<see cref="LeasesUnconfirmed"/>) — they are gone before the
/// server could give their tasks to another machine — and starts no agent until a heartbeat is confirmed again. Then
/// each stopped session asks the server whether its task is still its own: it resumes in place if so, and is closed
/// (its work saved to its wip ref) if the task went to someone else.
/// <para>
/// "Confirmed" means the server renewed the leases, or answered that its database is down (<c>storage_unavailable</c>):
/// then it cannot take a lease back either, and it grants every lease a full lease of grace once the database answers.
/// Times are measured from when the heartbeat was SENT (the server renewed at or after that instant), on the monotonic
/// clock AND the wall clock, whichever says more time passed: a wall-clock jump back cannot stretch a lease, and a
/// machine that slept (the monotonic clock stands still during a suspend) still sees how long it was away. The check
/// runs at least every second, so an agent that wakes up with its machine is stopped within a second.
/// </para>
/// </summary>
public sealed class LeaseKeeper(DaemonOptions options, TimeProvider timeProvider, ILogger<LeaseKeeper> logger)
{
    /// <summary>The lease length assumed until the server announces its own (the server's default).</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromMinutes(5);

    private readonly WakeSignal _changed = new();
    private readonly Lock _lock = new();
    private TimeSpan _ttl = DefaultLeaseTtl;
    private static readonly TimeSpan MaxCheckInterval = TimeSpan.FromSeconds(1);
    private long? _confirmedAt;
    private DateTimeOffset _confirmedAtWall;
    private bool _fenced;

    /// <summary>No heartbeat was confirmed for too long: every agent must stop now (the supervisor listens).</summary>
    public event Action<TimeSpan>? LeasesUnconfirmed;

    /// <summary>A heartbeat was confirmed after a fence: sessions may be continued again (the loop listens).</summary>
    public event Action? LeasesConfirmedAgain;

    /// <summary>The lease length the server announced (its default until the first answer).</summary>
    public TimeSpan LeaseTtl
    {
        get
        {
            lock (_lock)
            {
                return _ttl;
            }
        }
    }

    /// <summary>How often to heartbeat: the configured interval, but never more than a third of the lease.</summary>
    public TimeSpan HeartbeatInterval => Min(options.HeartbeatInterval, LeaseTtl / 3);

    /// <summary>How soon to try again after a failed heartbeat: a sixth of the lease, at most 5 s.</summary>
    public TimeSpan RetryInterval => Min(TimeSpan.FromSeconds(5), LeaseTtl / 6);

    /// <summary>
    /// How long one heartbeat may take before it counts as failed: half a lease, at most 30 s. Long enough for a server
    /// whose database is locked to answer <c>storage_unavailable</c>; fencing does not wait for it (its own timer).
    /// </summary>
    public TimeSpan RequestTimeout => Min(TimeSpan.FromSeconds(30), LeaseTtl / 2);

    /// <summary>
    /// The grace an agent gets between SIGTERM and SIGKILL when it is fenced: what is left of the lease after the fence
    /// point, halved, and never more than the normal stop grace.
    /// </summary>
    public TimeSpan FenceStopGrace => Min(options.StopGracePeriod, LeaseTtl / 6);

    /// <summary>
    /// Agents may be started or resumed: a heartbeat was confirmed within the fence window. False before the first
    /// confirmation and after a fence until the next one.
    /// </summary>
    public bool MayRun
    {
        get
        {
            lock (_lock)
            {
                return _confirmedAt is not null && !_fenced;
            }
        }
    }

    /// <summary>
    /// A heartbeat sent at <paramref name="sentAt"/> (a <see cref="TimeProvider.GetTimestamp"/>, taken with
    /// <paramref name="sentAtWall"/>) was confirmed.
    /// </summary>
    public void Confirmed(long sentAt, DateTimeOffset sentAtWall, TimeSpan? announcedTtl)
    {
        bool wasFenced;
        lock (_lock)
        {
            if (announcedTtl is { } ttl && ttl > TimeSpan.Zero)
            {
                _ttl = ttl;
            }

            if (_confirmedAt is null || sentAt > _confirmedAt)
            {
                _confirmedAt = sentAt;
                _confirmedAtWall = sentAtWall;
            }

            wasFenced = _fenced;
            _fenced = false;
        }

        _changed.Set();
        if (wasFenced)
        {
            DaemonLog.LeasesConfirmedAgain(logger);
            LeasesConfirmedAgain?.Invoke();
        }
    }

    /// <summary>Fences when the confirmation is overdue; runs until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = CheckDeadline();
            try
            {
                await _changed.WaitAsync(wait, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Fences if the deadline passed; returns how long until the next check is due.</summary>
    internal TimeSpan CheckDeadline()
    {
        TimeSpan unconfirmedFor;
        TimeSpan ttl;
        lock (_lock)
        {
            ttl = _ttl;
            if (_confirmedAt is not { } confirmedAt || _fenced)
            {
                return MaxCheckInterval;
            }

            unconfirmedFor = timeProvider.GetElapsedTime(confirmedAt);
            var wall = timeProvider.GetUtcNow() - _confirmedAtWall;
            if (wall > unconfirmedFor)
            {
                unconfirmedFor = wall;
            }

            var fenceAfter = FenceAfter(ttl);
            if (unconfirmedFor < fenceAfter)
            {
                return Min(fenceAfter - unconfirmedFor, MaxCheckInterval);
            }

            _fenced = true;
        }

        DaemonLog.LeasesUnconfirmed(logger, unconfirmedFor, ttl);
        LeasesUnconfirmed?.Invoke(FenceStopGrace);
        return MaxCheckInterval;
    }

    /// <summary>Two thirds of a lease without a confirmed heartbeat: the agents are stopped with time to spare.</summary>
    public static TimeSpan FenceAfter(TimeSpan ttl) => ttl * 2 / 3;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
