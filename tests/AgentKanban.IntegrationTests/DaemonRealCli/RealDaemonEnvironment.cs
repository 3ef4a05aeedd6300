using System.Collections;
using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.IntegrationTests.ClaudeCode;
using AgentKanban.IntegrationTests.FakeAnthropic;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// The product as a user runs it, with only the model faked: a real board server on loopback, the real <c>ak daemon
/// run</c> as its own (killable) process, the real Claude Code CLI found on the daemon's PATH, and a fake Anthropic API
/// that answers each task from its <see cref="ScriptedAgent"/>. The task's repository is a real local git repository.
/// </summary>
public sealed class RealDaemonEnvironment : IAsyncDisposable
{
    private static readonly GitRunner Git = new(new GitRunnerOptions(), TimeProvider.System, NullLogger<GitRunner>.Instance);

    private static readonly Dictionary<string, string?> GitIdentity = new()
    {
        ["GIT_AUTHOR_NAME"] = "Test",
        ["GIT_AUTHOR_EMAIL"] = "test@example.invalid",
        ["GIT_COMMITTER_NAME"] = "Test",
        ["GIT_COMMITTER_EMAIL"] = "test@example.invalid",
    };

    private readonly Dictionary<string, ScriptedAgent> _scripts = new(StringComparer.Ordinal);
    private readonly List<DaemonProcess> _daemons = [];

    private RealDaemonEnvironment(BoardServer server, FakeAnthropicServer api, string root)
    {
        Server = server;
        Api = api;
        Root = root;
        StateDir = Path.Combine(root, "state");
        Home = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
        Temp = Directory.CreateDirectory(Path.Combine(root, "tmp")).FullName;
        RepositoryPath = Directory.CreateDirectory(Path.Combine(root, "origin")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "config"));
        Marker = Guid.NewGuid().ToString("N");
        api.Respond(Route);
    }

    public BoardServer Server { get; }
    public FakeAnthropicServer Api { get; }
    public string Root { get; }
    public string StateDir { get; }
    public string Home { get; }
    public string Temp { get; }
    public string RepositoryPath { get; }

    /// <summary>In the environment of every process this test starts (daemon, CLI, shells), so none outlives it.</summary>
    public string Marker { get; }

    public BoardDto Board { get; private set; } = null!;
    public AgentDto Agent { get; private set; } = null!;
    public RepositoryDto Repository { get; private set; } = null!;

    /// <summary>
    /// The <c>ak</c> the daemon runs as (and puts on the agents' PATH): the native one the test command published
    /// (<c>AK_TEST_AK</c>), else the one built beside these tests.
    /// </summary>
    public static string AkExecutable =>
        Environment.GetEnvironmentVariable("AK_TEST_AK") is { Length: > 0 } published ? published : Path.Combine(AppContext.BaseDirectory, "ak");

    /// <param name="leaseTtl">The server's lease length (<c>ak server --lease-ttl</c>); short ones let a test outlast it.</param>
    /// <param name="runtime">The agent's runtime; other runtimes than Claude bring their own provider fake and pass its settings to <see cref="StartDaemon"/>.</param>
    public static async Task<RealDaemonEnvironment> CreateAsync(CancellationToken cancellationToken, TimeSpan? leaseTtl = null, string runtime = "claude")
    {
        var server = await BoardServer.StartAsync(leaseTtl);
        var api = await FakeAnthropicServer.StartAsync(cancellationToken);
        var env = new RealDaemonEnvironment(server, api, TestPaths.NewTempDirectory("real-daemon"));
        await env.InitRepositoryAsync(cancellationToken);
        env.Board = await server.CreateBoardAsync("board-" + env.Marker[..6], "dev");
        env.Agent = await server.CreateAgentAsync(runtime + "-" + env.Marker[..6], runtime);
        env.Repository = await server.CreateRepositoryAsync("repo-" + env.Marker[..6], env.RepositoryPath);
        return env;
    }

    /// <summary>
    /// Creates a task in the repository, assigned to the agent; a Claude agent's calls are answered by <paramref name="script"/>
    /// (null for other runtimes, whose provider fake the test owns).
    /// </summary>
    public async Task<TaskDto> CreateTaskAsync(string title, ScriptedAgent? script)
    {
        var task = await Server.CreateTaskAsync(Board.Id, title, Agent.Id, "Scripted by the test.", Repository.Id);
        if (script is not null)
        {
            lock (_scripts)
            {
                _scripts[task.Id] = script;
            }
        }

        return task;
    }

    /// <summary>
    /// Starts <c>ak daemon run --state …</c> as a separate process, with <paramref name="overrides"/> applied to its
    /// environment (a null value removes the variable) and <paramref name="arguments"/> after the state dir.
    /// </summary>
    public DaemonProcess StartDaemon(IReadOnlyDictionary<string, string?>? overrides = null, params string[] arguments)
    {
        var environment = DaemonEnvironment();
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                environment.Remove(name);
            }
            else
            {
                environment[name] = value;
            }
        }

        var daemon = DaemonProcess.Start(AkExecutable, ["daemon", "run", "--state", StateDir, .. arguments], environment);
        _daemons.Add(daemon);
        return daemon;
    }

    /// <summary>
    /// Waits until a daemon started here has registered and is running its loop (it writes <c>daemon.json</c> into its
    /// state directory last), so a task created afterwards measures dispatch alone.
    /// </summary>
    public Task WaitForDaemonReadyAsync() =>
        WaitAsync(() => Task.FromResult<string?>(File.Exists(Path.Combine(StateDir, "daemon.json")) ? "ready" : null), "the daemon to be ready");

    /// <summary>
    /// The daemon's environment, as a user would have it: their shell's variables, the server and a user token, the
    /// provider settings (which the daemon passes on to the CLI), and <c>claude</c> found on PATH.
    /// </summary>
    public Dictionary<string, string?> DaemonEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            // Nothing that would point the daemon at another runtime, crash it on purpose or pose as a session.
            if (!name.StartsWith("AK_", StringComparison.Ordinal))
            {
                env[name] = entry.Value as string;
            }
        }

        foreach (var (name, value) in ClaudeCli.Environment(Api.BaseUrl, Home))
        {
            env[name] = value;
        }

        env["PATH"] = ClaudeCli.BinDirectory() + Path.PathSeparator + env.GetValueOrDefault("PATH");
        env["TMPDIR"] = Temp;
        env["XDG_CONFIG_HOME"] = Path.Combine(Root, "config");
        env["AK_SERVER"] = Server.BaseUrl;
        env["AK_TOKEN"] = Server.AdminToken;
        env["AK_TEST_MARKER"] = Marker;
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "Scripted Agent";
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "agent@example.invalid";
        return env;
    }

    public async Task<TaskDto> WaitForStatusAsync(string taskId, string status, TimeSpan? timeout = null) =>
        await WaitAsync(async () =>
        {
            var task = await Server.GetTaskAsync(taskId);
            return task.Status == status ? task : null;
        }, $"task {taskId} to be {status}", timeout);

    /// <summary>Like <see cref="Eventually.WaitAsync{T}"/>, but a timeout tells what the daemon and the fake API saw.</summary>
    public async Task<T> WaitAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        try
        {
            return await Eventually.WaitAsync(probe, what, timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + Diagnostics(), e);
        }
    }

    /// <summary>The task's session as the daemon stored it: its worktree and branch.</summary>
    public async Task<(string Workspace, string Branch)> WorkspaceOfAsync(string taskId) =>
        await StoreReader.WorkspaceAsync(StateDir, taskId) ?? throw new InvalidOperationException($"no session with a workspace for task {taskId}");

    /// <summary>Runs git (a test identity) and returns its standard output; a non-zero exit throws.</summary>
    public static async Task<string> GitAsync(string directory, params string[] arguments) =>
        (await Git.RunAsync(new GitInvocation(directory, arguments) { Environment = GitIdentity }, TestContext.Current.CancellationToken))
            .StandardOutput;

    public string Diagnostics()
    {
        var text = new StringBuilder();
        foreach (var daemon in _daemons)
        {
            text.Append("--- daemon pid ").Append(daemon.Pid).AppendLine(" output:").AppendLine(daemon.Output);
        }

        text.AppendLine("--- fake API requests:");
        foreach (var request in Api.Requests)
        {
            text.AppendLine(request.ToString());
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }

        // Agents run in their own process groups and may outlive a killed daemon; they carry the marker.
        TestProcesses.KillMarked(Marker);
        await Api.DisposeAsync();
        await Server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Environment.GetEnvironmentVariable("AK_TEST_KEEP") != "1")
        {
            TestPaths.DeleteQuietly(Root);
        }
    }

    private FakeReply? Route(RecordedRequest request)
    {
        lock (_scripts)
        {
            foreach (var (taskId, script) in _scripts)
            {
                if (request.UserTexts.Any(t => t.Contains("Task ID: " + taskId, StringComparison.Ordinal)))
                {
                    return script.Next(request);
                }
            }
        }

        return null;
    }

    private async Task InitRepositoryAsync(CancellationToken cancellationToken)
    {
        await GitAsync(RepositoryPath, "init", "-q", "-b", "main");
        await File.WriteAllTextAsync(Path.Combine(RepositoryPath, "README.md"), "# scratch project\n", cancellationToken);
        await GitAsync(RepositoryPath, "add", "README.md");
        await GitAsync(RepositoryPath, "commit", "-q", "-m", "Initial commit");
    }
}
