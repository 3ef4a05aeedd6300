namespace AgentKanban.IntegrationTests.CopilotCli;

/// <summary>
/// The real GitHub Copilot CLI pinned in the repository's package-lock.json (<c>npm ci</c> puts its node launcher in
/// <c>node_modules/.bin/copilot</c>; the launcher runs the native executable as its child, so tests kill whole process
/// groups), pointed at a fake Chat Completions API in its bring-your-own-key mode with no GitHub login.
/// </summary>
public static class CopilotCli
{
    /// <summary>
    /// The provider key the tests use. The CLI masks the key's value wherever it appears in its output, so it must be a
    /// string no output contains by chance (a one-letter key turned every "x" of the output into asterisks).
    /// </summary>
    public const string ProviderKey = "ak-fake-copilot-provider-key-7f3a";

    public const string Model = "gpt-5.4";

    // Variables of the surrounding shell that would send the CLI to GitHub or another provider.
    private static readonly string[] RemovedVariables =
    [
        "COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN", "COPILOT_PROVIDER_TYPE", "COPILOT_PROVIDER_WIRE_API",
        "COPILOT_PROVIDER_BEARER_TOKEN", "COPILOT_PROVIDER_API_KEY_COMMAND", "COPILOT_PROVIDER_MODEL_ID",
        "COPILOT_PROVIDER_WIRE_MODEL", "COPILOT_PROVIDER_HEADERS", "COPILOT_ALLOW_ALL", "COPILOT_CLI_VERSION",
    ];

    /// <summary>The <c>copilot</c> launcher under the nearest <c>node_modules/.bin</c> above the test assembly.</summary>
    public static string Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "node_modules", ".bin", "copilot");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"No node_modules/.bin/copilot above {AppContext.BaseDirectory}. Run `npm ci` in the repository root (scripts/test.sh does).");
    }

    /// <summary>
    /// Where every test's CLI unpacks its package (235 MB on its first run, then reused): the CLI puts it under
    /// <c>$XDG_CACHE_HOME/copilot/pkg</c>, so one cache directory serves all the per-test homes. Concurrent runs share it
    /// safely (the CLI marks the package in use per process).
    /// </summary>
    public static string SharedCacheDirectory() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ak-test-copilot-cache")).FullName;

    /// <summary>
    /// The environment for a CLI at <paramref name="apiBaseUrl"/> (the fake's <c>/v1</c> URL) with its own
    /// <paramref name="home"/> (HOME and COPILOT_HOME=home/.copilot). A null value means "remove this variable".
    /// </summary>
    public static Dictionary<string, string?> Environment(string apiBaseUrl, string home)
    {
        var environment = RemovedVariables.ToDictionary(name => name, _ => (string?)null);
        environment["COPILOT_OFFLINE"] = "true";
        environment["COPILOT_PROVIDER_BASE_URL"] = apiBaseUrl;
        environment["COPILOT_PROVIDER_API_KEY"] = ProviderKey;
        environment["COPILOT_MODEL"] = Model;
        environment["COPILOT_AUTO_UPDATE"] = "false";
        environment["HOME"] = home;
        environment["COPILOT_HOME"] = Path.Combine(home, ".copilot");
        environment["XDG_CACHE_HOME"] = SharedCacheDirectory();
        return environment;
    }
}
