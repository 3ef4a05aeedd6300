using System.Collections;
using AgentKanban.Agents.Gemini;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.IntegrationTests.ClaudeCode;
using AgentKanban.IntegrationTests.FakeGemini;
using AgentKanban.IntegrationTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.IntegrationTests.GeminiCli;

/// <summary>Everything one run of the runtime reported.</summary>
public sealed record GeminiRun(IReadOnlyList<AgentEvent> Events, IReadOnlyList<string> Skipped, AgentExit Exit)
{
    public IEnumerable<T> OfType<T>() => Events.OfType<T>();

    public override string ToString() =>
        $"exit {Exit.Kind} {Exit.ExitCode}; events: {string.Join(" | ", Events)}; skipped: {string.Join(" | ", Skipped)}; stderr: {Exit.ErrorTail}";
}

/// <summary>
/// The real Gemini CLI (<c>node_modules/.bin/gemini</c>, pinned in package-lock.json) driven through the product's
/// <see cref="GeminiRuntime"/> exactly as the daemon starts it (without its namespace sandbox), against a
/// <see cref="FakeGeminiServer"/> on loopback. Each sandbox has its own HOME (= the CLI's home, with the settings that
/// point it at the fake), TMPDIR and working directory, and a stand-in <c>ak</c> first on PATH as the daemon puts it.
/// </summary>
public sealed class GeminiCliSandbox : IAsyncDisposable
{
    public const string ApiKey = "fake-gemini-key";

    /// <summary>
    /// Settings for a test run: API-key auth (without it the custom base URL makes headless mode exit 41), no usage
    /// statistics or update checks (no traffic beyond the fake), one attempt per call (the CLI would otherwise retry a
    /// 429 up to ten times, ~30 s apart), and a fixed model (with "auto" it first asks a routing model).
    /// </summary>
    public const string Settings = """
        {"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false},
         "general":{"disableAutoUpdate":true,"disableUpdateNag":true,"maxAttempts":1},"model":{"name":"gemini-2.5-flash"}}
        """;

    // Variables of the surrounding shell that would take the CLI away from the fake API.
    private static readonly string[] RemovedVariables =
    [
        "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION", "GEMINI_MODEL", "GEMINI_SYSTEM_MD", "GEMINI_CLI_TRUST_WORKSPACE", "GEMINI_SANDBOX",
    ];

    private readonly TempDirectory _root;

    private GeminiCliSandbox(TempDirectory root, FakeGeminiServer api)
    {
        _root = root;
        Api = api;
        Home = root.Sub("home");
        Temp = root.Sub("tmp");
        WorkingDirectory = root.Sub("work");
        AkDirectory = root.Sub("ak-bin");
    }

    public FakeGeminiServer Api { get; }

    public string Home { get; }

    public string Temp { get; }

    public string WorkingDirectory { get; }

    /// <summary>Holds the stand-in <c>ak</c>, first on the agent's PATH.</summary>
    public string AkDirectory { get; }

    public static string Executable => Path.Combine(ClaudeCli.BinDirectory(), "gemini");

    public static async Task<GeminiCliSandbox> CreateAsync(CancellationToken cancellationToken)
    {
        var api = await FakeGeminiServer.StartAsync(cancellationToken);
        var sandbox = new GeminiCliSandbox(new TempDirectory("ak-gemini-"), api);
        await WriteSettingsAsync(sandbox.Home, cancellationToken);
        var ak = Path.Combine(sandbox.AkDirectory, "ak");
        await File.WriteAllTextAsync(ak, "#!/bin/sh\necho \"ak $*\"\n", cancellationToken);
        File.SetUnixFileMode(ak, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return sandbox;
    }

    /// <summary>Writes the test settings into <c>HOME/.gemini/settings.json</c>.</summary>
    public static Task WriteSettingsAsync(string home, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(home, ".gemini"));
        return File.WriteAllTextAsync(Path.Combine(home, ".gemini", "settings.json"), Settings, cancellationToken);
    }

    /// <summary>The provider settings a user would have, pointed at <paramref name="baseUrl"/> (null values remove a variable).</summary>
    public static Dictionary<string, string?> ProviderEnvironment(string baseUrl, string home)
    {
        var environment = RemovedVariables.ToDictionary(name => name, _ => (string?)null);
        environment["GEMINI_API_KEY"] = ApiKey;
        environment["GOOGLE_GEMINI_BASE_URL"] = baseUrl;
        environment["GEMINI_CLI_HOME"] = home;
        return environment;
    }

    /// <summary>The agent's environment as the daemon builds it: the test's own, the provider settings, <c>ak</c> first on PATH.</summary>
    public Dictionary<string, string?> Environment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = entry.Value as string;
        }

        foreach (var (name, value) in ProviderEnvironment(Api.BaseUrl, Home))
        {
            environment[name] = value;
        }

        environment["HOME"] = Home;
        environment["TMPDIR"] = Temp;
        environment["PATH"] = AkDirectory + Path.PathSeparator + environment.GetValueOrDefault("PATH");
        return environment;
    }

    /// <summary>One run through <see cref="GeminiRuntime"/>: a new conversation <paramref name="sessionId"/>, or <paramref name="resumeToken"/> continued.</summary>
    public async Task<GeminiRun> RunAsync(string prompt, string sessionId, string? resumeToken, CancellationToken cancellationToken)
    {
        var spec = new AgentLaunchSpec(RuntimeNames.Gemini, Executable, WorkingDirectory, prompt, sessionId, resumeToken, null, null,
            "Work protocol: report through ak.", Environment());
        var host = new DirectAgentHost(TimeProvider.System, NullLogger.Instance);
        await using var process = GeminiRuntime.Instance.Start(spec, host);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        var events = new List<AgentEvent>();
        var skipped = new List<string>();
        try
        {
            await foreach (var output in process.ReadAsync(deadline.Token))
            {
                if (output.Event is { } e)
                {
                    events.Add(e);
                }
                else if (output.SkippedLine is { } reason)
                {
                    skipped.Add(reason);
                }
            }

            return new GeminiRun(events, skipped, await process.WaitForExitAsync(deadline.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await process.StopAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            throw new TimeoutException($"gemini did not finish within 90 s; so far: {string.Join(" | ", events)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        _root.Dispose();
    }
}
