using AgentKanban.IntegrationTests.ClaudeCode;
using AgentKanban.IntegrationTests.FakeAnthropic;

namespace AgentKanban.IntegrationTests.Support;

/// <summary>
/// Everything one real-CLI test needs: a fake API, a working directory, a scratch HOME (kept across
/// runs so <c>--resume</c> finds the conversation) and a bin directory for tools put on PATH.
/// </summary>
public sealed class ClaudeSandbox : IAsyncDisposable
{
    private readonly TempDirectory _root = new();

    private ClaudeSandbox(FakeAnthropicServer api)
    {
        Api = api;
        WorkingDirectory = _root.Sub("work");
        Home = _root.Sub("home");
        Bin = _root.Sub("bin");
        Temp = _root.Sub("tmp");
    }

    public FakeAnthropicServer Api { get; }

    public string Root => _root.Path;

    public string WorkingDirectory { get; }

    public string Home { get; }

    public string Bin { get; }

    /// <summary>TMPDIR of the runs, so the CLI's leftovers go away with the sandbox.</summary>
    public string Temp { get; }

    public static async Task<ClaudeSandbox> CreateAsync(CancellationToken cancellationToken) =>
        new(await FakeAnthropicServer.StartAsync(cancellationToken));

    /// <summary>Options for a run in this sandbox; adjust with <c>with { ... }</c>.</summary>
    public ClaudeRunOptions Options(string prompt) => new(prompt, WorkingDirectory, Home, Api.BaseUrl) { PathPrefix = [Bin], TempDirectory = Temp };

    public Task<ClaudeRunResult> RunAsync(ClaudeRunOptions options, CancellationToken cancellationToken) =>
        ClaudeCli.RunAsync(options, cancellationToken);

    /// <summary>Writes an executable shell script into <see cref="Bin"/>.</summary>
    public string AddTool(string name, string script)
    {
        var path = System.IO.Path.Combine(Bin, name);
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
