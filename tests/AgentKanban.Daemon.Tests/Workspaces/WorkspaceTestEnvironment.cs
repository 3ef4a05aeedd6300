using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Workspaces;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.Daemon.Tests.Workspaces;

/// <summary>A temp directory holding source repositories and a daemon state directory, with real git
/// configured independently of the machine's own git configuration and identity.</summary>
internal sealed class WorkspaceTestEnvironment : IDisposable
{
    private static readonly Dictionary<string, string?> Identity = new()
    {
        ["GIT_AUTHOR_NAME"] = "Test Author",
        ["GIT_AUTHOR_EMAIL"] = "author@example.invalid",
        ["GIT_COMMITTER_NAME"] = "Test Author",
        ["GIT_COMMITTER_EMAIL"] = "author@example.invalid",
    };

    public WorkspaceTestEnvironment(WorkspaceOptions? options = null)
    {
        Root = Directory.CreateTempSubdirectory("ak-workspaces-").FullName;
        var globalConfig = Path.Combine(Root, "gitconfig");
        File.WriteAllText(globalConfig, "");
        Git = new GitRunner(
            new GitRunnerOptions
            {
                Environment = new Dictionary<string, string?>
                {
                    ["GIT_CONFIG_GLOBAL"] = globalConfig,
                    ["GIT_CONFIG_NOSYSTEM"] = "1",
                    ["NO_PROXY"] = "127.0.0.1",
                    ["no_proxy"] = "127.0.0.1",
                },
            },
            TimeProvider.System,
            NullLogger<GitRunner>.Instance);
        Options = options ?? new WorkspaceOptions(Path.Combine(Root, "state"));
        Layout = new WorkspaceLayout(Options);
        Mirrors = new MirrorStore(Git, Layout, Options, TimeProvider.System, NullLogger<MirrorStore>.Instance);
        Manager = new WorkspaceManager(Git, Mirrors, Layout, Options, NullLogger<WorkspaceManager>.Instance);
    }

    public string Root { get; }

    public GitRunner Git { get; }

    public WorkspaceOptions Options { get; }

    public WorkspaceLayout Layout { get; }

    public MirrorStore Mirrors { get; }

    public WorkspaceManager Manager { get; }

    public static string NewSessionId() => Guid.NewGuid().ToString();

    /// <summary>A source repository with one commit on "main" (README.md).</summary>
    public async Task<string> CreateSourceAsync(string name = "source")
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        await GitAsync(path, "init", "--quiet", "--initial-branch=main");
        await CommitFileAsync(path, "README.md", "hello\n", "initial");
        return path;
    }

    /// <summary>Writes a file and commits everything in <paramref name="directory"/>; returns the new commit.</summary>
    public async Task<string> CommitFileAsync(string directory, string file, string content, string message)
    {
        var full = Path.Combine(directory, file);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, content);
        await GitAsync(directory, "add", "--all");
        await GitAsync(directory, "commit", "--quiet", "--no-gpg-sign", "-m", message);
        return await GitAsync(directory, "rev-parse", "HEAD");
    }

    /// <summary>Runs git (identity set) and returns its trimmed output.</summary>
    public async Task<string> GitAsync(string directory, params string[] arguments)
    {
        var result = await Git.RunAsync(
            new GitInvocation(directory, arguments) { Environment = Identity },
            TestContext.Current.CancellationToken);
        return result.Trimmed;
    }

    /// <summary>Runs git and returns its exit code (for "does this exist" checks).</summary>
    public async Task<int> GitExitCodeAsync(string directory, params string[] arguments)
    {
        var result = await Git.TryRunAsync(new GitInvocation(directory, arguments), TestContext.Current.CancellationToken);
        return result.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            SafeDirectories.DeleteTree(Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}
