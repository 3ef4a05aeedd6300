using System.Diagnostics;
using System.Globalization;

namespace AgentKanban.Daemon.Infrastructure;

/// <summary>The durable steps right after which a test may kill the daemon (the crash matrix).</summary>
public enum CrashPoint
{
    LeaseTaken,
    SessionStored,
    ServerSessionOpened,
    ProcessSpawned,
    RateLimitPersisted,
    OutboxWritten,
    TransitionCommitted,
    WorkspaceRemoved,
}

/// <summary>
/// Kills the daemon with SIGKILL right after a named durable step, for crash tests:
/// <c>AK_CRASH_ENABLE=1 AK_CRASH_AT=&lt;point&gt;[:n]</c> (n = the n-th time the point is reached, default 1).
/// Both variables are required, so a stray <c>AK_CRASH_AT</c> in a user's environment cannot fire.
/// </summary>
public sealed class CrashPoints
{
    public const string EnableVariable = "AK_CRASH_ENABLE";
    public const string PointVariable = "AK_CRASH_AT";

    private readonly CrashPoint? _point;
    private readonly int _hitNumber;
    private int _hits;

    private CrashPoints(CrashPoint? point, int hitNumber)
    {
        _point = point;
        _hitNumber = hitNumber;
    }

    public static CrashPoints Disabled { get; } = new(null, 0);

    public bool IsArmed => _point is not null;

    public static CrashPoints FromEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!environment.TryGetValue(EnableVariable, out var enable) || enable != "1"
            || !environment.TryGetValue(PointVariable, out var spec) || string.IsNullOrWhiteSpace(spec))
        {
            return Disabled;
        }

        var parts = spec.Split(':', 2);
        if (!TryParse(parts[0], out var point))
        {
            return Disabled;
        }

        var n = parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 ? parsed : 1;
        return new CrashPoints(point, n);
    }

    /// <summary>"lease-taken" ↔ <see cref="CrashPoint.LeaseTaken"/>.</summary>
    public static string Name(CrashPoint point) => point switch
    {
        CrashPoint.LeaseTaken => "lease-taken",
        CrashPoint.SessionStored => "session-stored",
        CrashPoint.ServerSessionOpened => "server-session-opened",
        CrashPoint.ProcessSpawned => "process-spawned",
        CrashPoint.RateLimitPersisted => "rate-limit-persisted",
        CrashPoint.OutboxWritten => "outbox-written",
        CrashPoint.TransitionCommitted => "transition-committed",
        CrashPoint.WorkspaceRemoved => "workspace-removed",
        _ => throw new ArgumentOutOfRangeException(nameof(point), point, null),
    };

    public static bool TryParse(string? name, out CrashPoint point)
    {
        foreach (var candidate in Enum.GetValues<CrashPoint>())
        {
            if (string.Equals(Name(candidate), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                point = candidate;
                return true;
            }
        }

        point = default;
        return false;
    }

    /// <summary>Called right after the durable step <paramref name="point"/> committed.</summary>
    public void Reached(CrashPoint point)
    {
        if (_point != point || Interlocked.Increment(ref _hits) != _hitNumber)
        {
            return;
        }

        // SIGKILL to ourselves: no finally blocks, no flushing — exactly what a power cut or kill -9 does.
        Console.Error.WriteLine($"ak daemon: crash point {Name(point)} reached; killing self");
        Process.GetCurrentProcess().Kill();
        Environment.FailFast("crash point " + Name(point));
    }
}
