using AgentKanban.Agents.Runtimes;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.IntegrationTests.ClaudeCode;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.IntegrationTests.AcpCli;

/// <summary>
/// One test's world for the real claude-agent-acp (pinned in package-lock.json): the loopback Anthropic fake it talks to,
/// a working directory, its own HOME (kept across runs, so a resume finds the session) and TMPDIR, and a bin directory
/// put first on PATH for tools such as a stand-in <c>ak</c>.
/// </summary>
public sealed class AcpAgentSandbox : IAsyncDisposable
{
    private readonly TempDirectory _root = new("ak-acp-");

    private AcpAgentSandbox(FakeAnthropicServer api)
    {
        Api = api;
        WorkingDirectory = _root.Sub("work");
        Home = _root.Sub("home");
        Temp = _root.Sub("tmp");
        Bin = _root.Sub("bin");
    }

    public FakeAnthropicServer Api { get; }

    public string WorkingDirectory { get; }

    public string Home { get; }

    public string Temp { get; }

    public string Bin { get; }

    public static IAgentHost Host { get; } = new DirectAgentHost(TimeProvider.System, NullLogger.Instance);

    /// <summary><c>node_modules/.bin/claude-agent-acp</c> beside the pinned <c>claude</c>.</summary>
    public static string Agent => Path.Combine(ClaudeCli.BinDirectory(), "claude-agent-acp");

    public static async Task<AcpAgentSandbox> CreateAsync(CancellationToken cancellationToken) =>
        new(await FakeAnthropicServer.StartAsync(cancellationToken));

    /// <summary>A launch of the daemon's default ACP agent (claude-agent-acp) pointed at the fake.</summary>
    public AgentLaunchSpec Spec(string prompt, string? resumeToken = null)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                     .Select(e => ((string)e.Key, (string?)e.Value)))
        {
            environment[name] = value;
        }

        foreach (var (name, value) in ClaudeCli.Environment(Api.BaseUrl, Home))
        {
            environment[name] = value;
        }

        environment["TMPDIR"] = Temp;
        environment["PATH"] = string.Join(Path.PathSeparator, Bin, ClaudeCli.BinDirectory(), Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
        environment[Agents.Acp.AcpCommandLine.DefaultVariable] = null;
        return new AgentLaunchSpec(RuntimeNames.Acp, Agent, WorkingDirectory, prompt, Guid.NewGuid().ToString(), resumeToken, null, null,
            string.Empty, environment);
    }

    /// <summary>Runs the agent through the runtime seam and collects what it reported, bounded in time.</summary>
    public static async Task<AcpRun> RunAsync(AgentLaunchSpec spec, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(120));
        await using var process = Agents.Acp.AcpRuntime.Instance.Start(spec, Host);
        var events = new List<AgentEvent>();
        var skipped = new List<string>();
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

        var exit = await process.WaitForExitAsync(deadline.Token);
        return new AcpRun(events, skipped, exit, process.ProcessId);
    }

    /// <summary>Writes an executable shell script into <see cref="Bin"/>.</summary>
    public string AddTool(string name, string script)
    {
        var path = Path.Combine(Bin, name);
        File.WriteAllText(path, script.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>What one ACP run reported.</summary>
public sealed record AcpRun(IReadOnlyList<AgentEvent> Events, IReadOnlyList<string> Skipped, AgentExit Exit, int ProcessId)
{
    public override string ToString() =>
        $"exit {Exit.Kind} {Exit.ExitCode}; events: {string.Join(" | ", Events)}; skipped: {string.Join(" | ", Skipped)}; stderr: {Exit.ErrorTail}";
}
