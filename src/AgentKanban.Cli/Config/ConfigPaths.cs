namespace AgentKanban.Cli.Config;

/// <summary>XDG locations, resolved from the environment the CLI was given (never the process's own, so tests stay isolated).</summary>
public static class ConfigPaths
{
    public const string AppFolder = "agent-kanban";

    /// <summary><c>${XDG_CONFIG_HOME:-~/.config}/agent-kanban</c>.</summary>
    public static string ConfigDirectory(IReadOnlyDictionary<string, string?> env) =>
        Path.Combine(XdgBase(env, "XDG_CONFIG_HOME", ".config"), AppFolder);

    public static string ConfigFile(IReadOnlyDictionary<string, string?> env) =>
        Path.Combine(ConfigDirectory(env), "config.json");

    /// <summary><c>${XDG_DATA_HOME:-~/.local/share}/agent-kanban</c>: the default data directory of <c>ak up</c> and <c>ak server</c>.</summary>
    public static string DataDirectory(IReadOnlyDictionary<string, string?> env) =>
        Path.Combine(XdgBase(env, "XDG_DATA_HOME", Path.Combine(".local", "share")), AppFolder);

    private static string XdgBase(IReadOnlyDictionary<string, string?> env, string variable, string homeRelative)
    {
        // The XDG spec says a relative value is invalid and must be ignored.
        if (env.TryGetValue(variable, out var value) && !string.IsNullOrWhiteSpace(value) && Path.IsPathRooted(value))
        {
            return value;
        }

        return Path.Combine(Home(env), homeRelative);
    }

    private static string Home(IReadOnlyDictionary<string, string?> env)
    {
        if (env.TryGetValue("HOME", out var home) && !string.IsNullOrWhiteSpace(home))
        {
            return home;
        }

        var profile = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(profile)
            ? throw new CliFailureException("cannot find the home directory: set HOME or XDG_CONFIG_HOME")
            : profile;
    }
}
