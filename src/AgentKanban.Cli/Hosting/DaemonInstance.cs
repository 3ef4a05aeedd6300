using System.Globalization;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Setup;

namespace AgentKanban.Cli.Hosting;

/// <summary>
/// The daemon on one state dir as seen from outside: who holds the instance lock (the only proof that a daemon
/// runs), what its ready file says, and what the pid file says (informational; stale after a <c>kill -9</c>).
/// </summary>
internal sealed record DaemonInstance(StatePaths Paths, int? Pid, int? PidFileValue, DaemonReady? Ready)
{
    public bool Running => Pid is not null;

    /// <summary>Running and past start-up: registered, first heartbeat sent, loops running.</summary>
    public bool IsReady => Ready is not null;

    /// <summary>A pid file left by a daemon that is gone (killed, or its machine rebooted).</summary>
    public int? StalePid => Running ? null : PidFileValue;

    public static async Task<DaemonInstance> FindAsync(StatePaths paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var holder = InstanceLock.Holder(paths.LockFile);
        var pidFile = await ReadPidFileAsync(paths.PidFile, cancellationToken);
        // -1: held, but this system cannot name the holder; the pid file (written under the lock) does.
        var pid = holder == -1 ? pidFile ?? -1 : holder;
        var ready = pid is null ? null : await DaemonReadyFile.ReadAsync(paths.ReadyFile, cancellationToken);
        return new DaemonInstance(paths, pid, pidFile, ready is not null && ready.Pid == pid ? ready : null);
    }

    /// <summary>Removes the pid and ready files of a daemon that is gone; false when a daemon holds the lock again.</summary>
    public bool RemoveLeftovers()
    {
        if (InstanceLock.Holder(Paths.LockFile) is not null)
        {
            return false;
        }

        SecureFiles.DeleteQuietly(Paths.ReadyFile);
        SecureFiles.DeleteQuietly(Paths.PidFile);
        return true;
    }

    private static async Task<int?> ReadPidFileAsync(string path, CancellationToken cancellationToken)
    {
        var text = await SecureFiles.ReadIfExistsAsync(path, cancellationToken);
        return int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }
}
