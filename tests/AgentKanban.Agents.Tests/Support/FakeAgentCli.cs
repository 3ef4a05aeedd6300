using System.Runtime.InteropServices;
using AgentKanban.Agents.Process;

namespace AgentKanban.Agents.Tests.Support;

/// <summary>Runs tests/FakeAgent (copied next to the tests) through the dotnet host, for real.</summary>
internal static class FakeAgentCli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "FakeAgent.dll");

    /// <summary>The fake's own launcher (apphost): stands in for the <c>claude</c> executable; needs DOTNET_ROOT.</summary>
    public static string Apphost => Path.Combine(AppContext.BaseDirectory, "FakeAgent");

    /// <summary>The dotnet host that runs this test process (…/dotnet/shared/Microsoft.NETCore.App/X/ → …/dotnet/dotnet).</summary>
    public static string DotnetHost { get; } = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));

    /// <summary>A minimal, explicit environment: only what the dotnet host and <c>setsid</c> need.</summary>
    public static Dictionary<string, string> BaseEnvironment()
    {
        var env = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["DOTNET_ROOT"] = Path.GetDirectoryName(DotnetHost)!,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        return env;
    }

    public static AgentProcessOptions Options(string workingDirectory, params string[] steps) => new()
    {
        Executable = DotnetHost,
        Arguments = [Dll, .. steps],
        Environment = BaseEnvironment(),
        WorkingDirectory = workingDirectory,
        DrainTimeout = TimeSpan.FromSeconds(1),
    };
}
