using System.Reflection;

namespace AgentKanban.Cli;

/// <summary>The version <c>ak --version</c> prints. Reads one assembly attribute: nothing else is loaded.</summary>
public static class CliVersion
{
    /// <summary>The informational version (<c>0.1.0+commit</c> when built from git).</summary>
    public static string Full { get; } =
        typeof(CliVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CliVersion).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>Without build metadata (<c>0.1.0</c>), for the User-Agent header.</summary>
    public static string Short { get; } = Full.Split('+')[0];
}
