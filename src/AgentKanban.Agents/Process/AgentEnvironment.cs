namespace AgentKanban.Agents.Process;

/// <summary>
/// Builds an agent's environment explicitly: start from what the daemon inherited, drop the daemon's own
/// secrets, add the session's identity. Nothing reaches the child by accident.
/// </summary>
public static class AgentEnvironment
{
    /// <summary>The current process's environment as a dictionary (the daemon's inherited environment).</summary>
    public static Dictionary<string, string> Current()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <param name="inherited">The starting environment.</param>
    /// <param name="remove">Exact names to drop (the daemon's token, machine key, …).</param>
    /// <param name="removePrefixes">Name prefixes to drop (e.g. <c>AK_</c>, so only the session's own identity is set).</param>
    /// <param name="set">Variables to add or replace.</param>
    public static Dictionary<string, string> Build(
        IEnumerable<KeyValuePair<string, string>> inherited,
        IEnumerable<string> remove,
        IEnumerable<string> removePrefixes,
        IEnumerable<KeyValuePair<string, string>> set)
    {
        ArgumentNullException.ThrowIfNull(inherited);
        var drop = new HashSet<string>(remove ?? [], StringComparer.Ordinal);
        var prefixes = (removePrefixes ?? []).Where(p => p.Length > 0).ToArray();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in inherited)
        {
            if (!drop.Contains(key) && !prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
            {
                result[key] = value;
            }
        }

        foreach (var (key, value) in set ?? [])
        {
            result[key] = value;
        }

        return result;
    }

    /// <summary>Puts <paramref name="directory"/> first on the environment's <c>PATH</c> (so the agent finds <c>ak</c>).</summary>
    public static void PrependPath(IDictionary<string, string> environment, string directory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        environment["PATH"] = environment.TryGetValue("PATH", out var path) && path.Length > 0
            ? $"{directory}:{path}"
            : directory;
    }

    /// <summary>Finds an executable the way a shell would, on the given environment's <c>PATH</c>.</summary>
    public static string? ResolveExecutable(string executable, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        if (executable.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(executable, workingDirectory);
            return IsExecutableFile(full) ? full : null;
        }

        var path = environment.TryGetValue("PATH", out var p) ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? workingDirectory : Path.GetFullPath(dir, workingDirectory), executable);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
