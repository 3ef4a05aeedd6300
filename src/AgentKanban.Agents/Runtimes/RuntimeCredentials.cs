namespace AgentKanban.Agents.Runtimes;

/// <summary>Small lookups runtimes share when they check for credentials.</summary>
public static class RuntimeCredentials
{
    /// <summary>The variable's value, or null when unset or blank.</summary>
    public static string? Get(IReadOnlyDictionary<string, string?> environment, string name)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
    }

    /// <summary>Whether any of the variables is set to something.</summary>
    public static bool AnySet(IReadOnlyDictionary<string, string?> environment, params string[] names) =>
        names.Any(name => Get(environment, name) is not null);

    /// <summary><c>$HOME/<paramref name="relative"/></c>, or null without a HOME.</summary>
    public static string? InHome(IReadOnlyDictionary<string, string?> environment, string relative) =>
        Get(environment, "HOME") is { } home ? Path.Combine(home, relative) : null;
}
