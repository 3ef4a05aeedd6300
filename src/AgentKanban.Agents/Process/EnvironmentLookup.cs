namespace AgentKanban.Agents.Process;

/// <summary>
/// The process environment as data, and executables found on a given environment's <c>PATH</c> the way a shell finds
/// them (what an agent's environment is made of is the daemon's <c>AgentEnvironment</c>).
/// </summary>
public static class EnvironmentLookup
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
