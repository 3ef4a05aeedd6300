using System.Collections;
using AgentKanban.Agents.Copilot;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.FakeChatCompletions;
using AgentKanban.IntegrationTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.IntegrationTests.CopilotCli;

/// <summary>
/// One test's world for the real Copilot CLI driven through <see cref="CopilotRuntime"/>: a fake Chat Completions API,
/// its own HOME (with the CLI's home in it), TMPDIR and working directory, and a marker in every process's environment
/// so that none outlives the test.
/// </summary>
public sealed class CopilotSandbox : IAsyncDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _root = new("ak-copilot-");

    private CopilotSandbox(FakeChatCompletionsServer api)
    {
        Api = api;
        Home = _root.Sub("home");
        Temp = _root.Sub("tmp");
        WorkingDirectory = _root.Sub("work");
        Bin = _root.Sub("bin");
        Marker = Guid.NewGuid().ToString("N");
    }

    public FakeChatCompletionsServer Api { get; }
    public string Home { get; }
    public string Temp { get; }
    public string WorkingDirectory { get; }

    /// <summary>First on the agent's PATH (as the daemon puts the <c>ak</c> directory there).</summary>
    public string Bin { get; }

    public string Marker { get; }

    /// <summary>The CLI's home: its sessions are under <c>session-state/ID</c>.</summary>
    public string CopilotHome => Path.Combine(Home, ".copilot");

    public static async Task<CopilotSandbox> CreateAsync(CancellationToken cancellationToken) =>
        new(await FakeChatCompletionsServer.StartAsync(cancellationToken));

    /// <summary>The agent's environment: this process's (no AK_ variables), the CLI's settings, the marker, PATH with <see cref="Bin"/> first.</summary>
    public Dictionary<string, string?> Environment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            if (!name.StartsWith("AK_", StringComparison.Ordinal))
            {
                environment[name] = entry.Value as string;
            }
        }

        foreach (var (name, value) in CopilotCli.Environment(Api.ApiBaseUrl, Home))
        {
            environment[name] = value;
        }

        environment["TMPDIR"] = Temp;
        environment["AK_TEST_MARKER"] = Marker;
        environment["PATH"] = Bin + Path.PathSeparator + environment.GetValueOrDefault("PATH");
        return environment;
    }

    /// <summary>The launch the daemon would make: a new conversation named <paramref name="sessionId"/>, or <paramref name="resumeToken"/> continued.</summary>
    public AgentLaunchSpec Spec(string prompt, string sessionId, string? resumeToken = null, string systemPrompt = "") => new(
        "copilot", CopilotCli.Locate(), WorkingDirectory, prompt, sessionId, resumeToken, null, null, systemPrompt, Environment());

    /// <summary>Runs the CLI through the runtime to its end (bounded), collecting its events and skipped lines.</summary>
    public Task<CopilotRunResult> RunAsync(AgentLaunchSpec spec, CancellationToken cancellationToken) => RunAsync(spec, null, cancellationToken);

    /// <summary>
    /// Like <see cref="RunAsync(AgentLaunchSpec, CancellationToken)"/>; <paramref name="killWhen"/> is asked after each event
    /// and, once it says so, the CLI's process group is killed (SIGKILL) and the rest of its output read.
    /// </summary>
    public async Task<CopilotRunResult> RunAsync(AgentLaunchSpec spec, Func<AgentEvent, CancellationToken, Task<bool>>? killWhen, CancellationToken cancellationToken)
    {
        var host = new DirectAgentHost(TimeProvider.System, NullLogger.Instance);
        await using var process = CopilotRuntime.Instance.Start(spec, host);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(RunTimeout);
        var events = new List<AgentEvent>();
        var skipped = new List<string>();
        try
        {
            await foreach (var output in process.ReadAsync(bounded.Token))
            {
                if (output.Event is { } agentEvent)
                {
                    events.Add(agentEvent);
                    if (killWhen is not null && await killWhen(agentEvent, bounded.Token))
                    {
                        killWhen = null;
                        await process.StopAsync(TimeSpan.Zero, bounded.Token);
                    }
                }
                else if (output.SkippedLine is { } reason)
                {
                    skipped.Add(reason);
                }
            }

            var exit = await process.WaitForExitAsync(bounded.Token);
            return new CopilotRunResult(events, skipped, exit);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await process.StopAsync(TimeSpan.Zero, CancellationToken.None);
            throw new TimeoutException($"copilot did not finish within {RunTimeout}; events so far: {string.Join(", ", events)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        TestProcesses.KillMarked(Marker);
        await Api.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>What one run produced.</summary>
public sealed record CopilotRunResult(IReadOnlyList<AgentEvent> Events, IReadOnlyList<string> Skipped, AgentExit Exit)
{
    public IEnumerable<T> OfType<T>() => Events.OfType<T>();

    public TurnEnded? TurnEnded => Events.OfType<TurnEnded>().SingleOrDefault();

    public bool Clean => Exit.Kind == RunExit.Clean;

    public override string ToString() =>
        $"exit {Exit.Kind} {Exit.ExitCode} stderr: {Exit.ErrorTail}\nevents:\n  {string.Join("\n  ", Events)}\nskipped: {string.Join("; ", Skipped)}";
}
