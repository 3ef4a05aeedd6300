using System.Globalization;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Runtimes;

/// <summary>
/// The environment an agent process gets: the daemon's own (so provider settings such as
/// <c>ANTHROPIC_BASE_URL</c> reach it) minus the daemon's credentials and daemon-only switches, plus the
/// session's identity (<c>AK_SERVER</c>, <c>AK_SESSION_ID</c>, <c>AK_SESSION_KEY</c>, <c>AK_TASK_ID</c>,
/// <c>AK_EPOCH</c>) and the <c>ak</c> directory first on <c>PATH</c>.
/// </summary>
public static class AgentEnvironment
{
    public const string ServerVariable = "AK_SERVER";
    public const string SessionIdVariable = "AK_SESSION_ID";
    public const string SessionKeyVariable = "AK_SESSION_KEY";
    public const string TaskIdVariable = "AK_TASK_ID";
    public const string EpochVariable = "AK_EPOCH";

    /// <summary>Variables the agent must never see: the daemon's credentials and switches meant for the daemon alone.</summary>
    private static readonly string[] Withheld =
    [
        "AK_TOKEN", "AK_MACHINE_KEY", CrashPoints.EnableVariable, CrashPoints.PointVariable,
    ];

    public static Dictionary<string, string?> Build(
        IReadOnlyDictionary<string, string?> daemonEnvironment,
        SessionRecord session,
        string server,
        string? machineKey,
        string? akDirectory)
    {
        ArgumentNullException.ThrowIfNull(daemonEnvironment);
        ArgumentNullException.ThrowIfNull(session);
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in daemonEnvironment)
        {
            if (value is null || IsWithheld(name) || (machineKey is not null && value.Contains(machineKey, StringComparison.Ordinal)))
            {
                continue;
            }

            env[name] = value;
        }

        env[ServerVariable] = server;
        // The server's id of the session: after a lapsed lease was taken again it is a new one (with a new epoch), and
        // the agent's `ak` calls must be signed as that session or the server refuses them.
        env[SessionIdVariable] = session.ServerSessionId;
        env[SessionKeyVariable] = session.PrivateKey;
        env[TaskIdVariable] = session.TaskId;
        env[EpochVariable] = session.Epoch.ToString(CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(akDirectory))
        {
            env.TryGetValue("PATH", out var path);
            env["PATH"] = string.IsNullOrEmpty(path) ? akDirectory : akDirectory + Path.PathSeparator + path;
        }

        return env;
    }

    private static bool IsWithheld(string name) =>
        Array.IndexOf(Withheld, name) >= 0
        || name.StartsWith(RuntimeCatalog.OverridePrefix, StringComparison.Ordinal)
        // A session identity inherited from an outer agent must not leak into this one.
        || name is SessionIdVariable or SessionKeyVariable or TaskIdVariable or EpochVariable;

    /// <summary>
    /// The directory of the running <c>ak</c> executable (the app host), or null when the daemon runs inside
    /// some other host (tests, <c>dotnet ak.dll</c>) — then the caller must say where <c>ak</c> is.
    /// </summary>
    public static string? AkDirectoryOfThisProcess()
    {
        var path = Environment.ProcessPath;
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var name = Path.GetFileNameWithoutExtension(path);
        return string.Equals(name, "ak", StringComparison.Ordinal) ? Path.GetDirectoryName(path) : null;
    }
}
