using System.Collections;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.IntegrationTests.FakeOpenAiResponses;
using AgentKanban.IntegrationTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.IntegrationTests.CodexCli;

/// <summary>
/// The real Codex CLI pinned in package-lock.json (<c>node_modules/.bin/codex</c>), run through the product's
/// <see cref="CodexRuntime"/> against a <see cref="FakeResponsesServer"/> this sandbox owns, with its own HOME,
/// CODEX_HOME, TMPDIR, working directory and a bin directory on PATH (holding a stand-in <c>ak</c>).
/// </summary>
public sealed class CodexCliSandbox : IAsyncDisposable
{
    /// <summary>What the stand-in <c>ak</c> prints before its arguments.</summary>
    public const string AkGreeting = "stand-in ak:";

    // Variables of the surrounding shell that would take Codex to another provider or home.
    private static readonly string[] RemovedVariables = ["OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL", "CODEX_HOME", "CODEX_SANDBOX"];

    private static readonly IAgentHost Host = new DirectAgentHost(TimeProvider.System, NullLogger.Instance);

    private readonly TempDirectory _root = new("ak-codex-");

    private CodexCliSandbox(FakeResponsesServer api)
    {
        Api = api;
        Home = _root.Sub("home");
        CodexHome = _root.Sub("home/.codex");
        WorkingDirectory = _root.Sub("work");
        Bin = _root.Sub("bin");
        Temp = _root.Sub("tmp");
        File.WriteAllText(Path.Combine(CodexHome, "config.toml"), api.CodexConfigToml());
        var ak = Path.Combine(Bin, "ak");
        File.WriteAllText(ak, $"#!/bin/sh\necho \"{AkGreeting} $*\"\n");
        File.SetUnixFileMode(ak, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public FakeResponsesServer Api { get; }

    public string Home { get; }

    public string CodexHome { get; }

    public string WorkingDirectory { get; }

    public string Bin { get; }

    public string Temp { get; }

    public static async Task<CodexCliSandbox> CreateAsync(CancellationToken cancellationToken) =>
        new(await FakeResponsesServer.StartAsync(cancellationToken));

    /// <summary><c>node_modules/.bin/codex</c> above the test assembly (the repository root); <c>npm ci</c> puts it there.</summary>
    public static string Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "node_modules", ".bin", "codex");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"No node_modules/.bin/codex above {AppContext.BaseDirectory}. Run `npm ci` in the repository root.");
    }

    /// <summary>The run's environment: this process's, minus other providers, plus the sandbox's homes and the bin directory first on PATH.</summary>
    public Dictionary<string, string?> Environment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = entry.Value as string;
        }

        foreach (var name in RemovedVariables)
        {
            env.Remove(name);
        }

        env["HOME"] = Home;
        env["CODEX_HOME"] = CodexHome;
        env["TMPDIR"] = Temp;
        env[FakeResponsesServer.KeyVariable] = "fake-key";
        env["PATH"] = Bin + Path.PathSeparator + env.GetValueOrDefault("PATH");
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "Codex Test";
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "codex@example.invalid";
        return env;
    }

    /// <summary>
    /// One run through the runtime, to its end: everything it reported and how it exited. <paramref name="sandboxed"/>
    /// true is how the daemon launches inside its own sandbox (Codex's sandbox off); false uses Codex's <c>workspace-write</c>.
    /// </summary>
    public async Task<CodexRun> RunAsync(string prompt, CancellationToken cancellationToken, string? resumeToken = null, bool sandboxed = true,
        string systemPrompt = "", string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var spec = new AgentLaunchSpec(RuntimeNames.Codex, Locate(), workingDirectory ?? WorkingDirectory, prompt, Guid.NewGuid().ToString(), resumeToken,
            null, null, systemPrompt, Environment(), Sandboxed: sandboxed);
        await using var process = CodexRuntime.Instance.Start(spec, Host);
        var events = new List<AgentEvent>();
        var skipped = new List<string>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(90));
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

            return new CodexRun(events, skipped, await process.WaitForExitAsync(deadline.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await process.StopAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
            throw new TimeoutException($"codex did not finish in time; so far: {string.Join(", ", events)}; skipped: {string.Join(", ", skipped)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>What one run reported.</summary>
public sealed record CodexRun(List<AgentEvent> Events, List<string> Skipped, AgentExit Exit)
{
    public string ThreadId => Events.OfType<SessionInitialized>().Single().ProviderSessionId;

    public TurnEnded Turn => Events.OfType<TurnEnded>().Single();

    public override string ToString() => $"exit {Exit.Kind} {Exit.ExitCode}: {string.Join(", ", Events)}; skipped: {string.Join(", ", Skipped)}; stderr: {Exit.ErrorTail}";
}
