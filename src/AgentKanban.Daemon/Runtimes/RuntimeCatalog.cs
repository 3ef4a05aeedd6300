using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;

namespace AgentKanban.Daemon.Runtimes;

/// <summary>
/// Which agent runtimes this machine has: each known CLI (<see cref="IAgentRuntime.ExecutableName"/>; for ACP the default agent command's) looked up on
/// <c>PATH</c>, unless an override (option or <c>AK_RUNTIME_&lt;NAME&gt;=/path</c>) names the executable. Found once at start.
/// </summary>
public sealed class RuntimeCatalog
{
    public const string OverridePrefix = "AK_RUNTIME_";

    /// <summary>Runtimes this daemon can drive (has an adapter for).</summary>
    public static IReadOnlySet<string> Supported { get; } = AgentRuntimes.All.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);

    private readonly Dictionary<string, string?> _executables;

    public RuntimeCatalog(IReadOnlyDictionary<string, string?> executables)
    {
        ArgumentNullException.ThrowIfNull(executables);
        _executables = new Dictionary<string, string?>(executables, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, string?> Executables => _executables;

    public static RuntimeCatalog Discover(IReadOnlyDictionary<string, string>? overrides, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var found = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in RuntimeNames.All)
        {
            string? path = null;
            if (overrides is not null && overrides.TryGetValue(name, out var fromOptions) && !string.IsNullOrWhiteSpace(fromOptions))
            {
                path = fromOptions;
            }
            else if (environment.TryGetValue(OverridePrefix + name.ToUpperInvariant(), out var fromEnv) && !string.IsNullOrWhiteSpace(fromEnv))
            {
                path = fromEnv;
            }
            else
            {
                var executable = AgentRuntimes.Find(name)?.ExecutableName(environment) ?? name;
                path = FindOnPath(executable, environment.TryGetValue("PATH", out var p) ? p : null);
            }

            found[name] = path is not null && IsExecutable(path) ? Path.GetFullPath(path) : null;
        }

        return new RuntimeCatalog(found);
    }

    /// <summary>The executable of an installed runtime, or null.</summary>
    public string? ExecutableFor(string runtime) => _executables.TryGetValue(runtime, out var path) ? path : null;

    public bool IsInstalled(string runtime) => ExecutableFor(runtime) is not null;

    public static bool IsSupported(string runtime) => Supported.Contains(runtime);

    public static string? FindOnPath(string name, string? pathVariable)
    {
        if (string.IsNullOrEmpty(pathVariable))
        {
            return null;
        }

        foreach (var directory in pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            return File.Exists(path)
                && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
