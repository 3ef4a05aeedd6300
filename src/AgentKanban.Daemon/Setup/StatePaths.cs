using AgentKanban.Daemon.Infrastructure;

namespace AgentKanban.Daemon.Setup;

/// <summary>
/// Where the daemon keeps its state: <c>${XDG_STATE_HOME:-~/.local/state}/agent-kanban</c> unless overridden
/// (<c>--state DIR</c>). The directory is 0700: it holds the machine key and the session keys.
/// </summary>
public sealed record StatePaths(string Root)
{
    public const string AppFolder = "agent-kanban";

    public string Database => Path.Combine(Root, "daemon.db");
    public string Logs => Path.Combine(Root, "logs");
    public string LogFile => Path.Combine(Logs, "daemon.log");
    public string DeviceIdFile => Path.Combine(Root, "device-id");

    /// <summary>The machine key issued at registration, with the server and machine id it belongs to (0600).</summary>
    public string MachineFile => Path.Combine(Root, "machine.json");

    /// <summary>The daemon's pid, written once it holds <see cref="LockFile"/> (informational: the lock is the truth).</summary>
    public string PidFile => Path.Combine(Root, "daemon.pid");

    /// <summary>Held (an advisory record lock) by the one daemon running on this state dir, for its whole life.</summary>
    public string LockFile => Path.Combine(Root, "daemon.lock");

    /// <summary>Written once the daemon is ready (registered, heartbeat sent, loops running); removed when it stops.</summary>
    public string ReadyFile => Path.Combine(Root, "daemon.json");

    public static StatePaths Resolve(string? stateDir, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new StatePaths(Path.GetFullPath(stateDir ?? DefaultRoot(environment)));
    }

    public static string DefaultRoot(IReadOnlyDictionary<string, string?> environment) =>
        Path.Combine(
            XdgDirectory(environment, "XDG_STATE_HOME", Path.Combine(".local", "state"))
                ?? throw new DaemonSetupException("cannot find the home directory: set HOME, XDG_STATE_HOME or --state"),
            AppFolder);

    /// <summary>
    /// An XDG base directory: <paramref name="variable"/> when it is set to an absolute path (the spec says a relative
    /// value is invalid and must be ignored), else <paramref name="underHome"/> in the home directory; null when there is
    /// no home directory either.
    /// </summary>
    public static string? XdgDirectory(IReadOnlyDictionary<string, string?> environment, string variable, string underHome)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.TryGetValue(variable, out var xdg) && !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return xdg;
        }

        var home = environment.TryGetValue("HOME", out var h) && !string.IsNullOrWhiteSpace(h)
            ? h
            : System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, underHome);
    }

    /// <summary>Creates the directories (0700).</summary>
    public void Ensure()
    {
        SecureFiles.EnsurePrivateDirectory(Root);
        SecureFiles.EnsurePrivateDirectory(Logs);
    }
}
