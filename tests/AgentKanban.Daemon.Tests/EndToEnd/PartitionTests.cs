using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// Self-fencing. A machine loses the network to the server (packets dropped: its requests hang) for longer than the
/// lease while the board stays up, and another machine takes the task over. The first daemon must stop its agent on
/// its own before the server could hand the task on, keep the agent's work in the session's wip ref, and never run it
/// again — exactly one agent works on the task at any time.
/// </summary>
public sealed class PartitionTests
{
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task A_daemon_cut_off_past_its_lease_stops_its_agent_before_another_machine_takes_the_task_and_never_resumes_it()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync(LeaseTtl, boardType: "dev");
        var repository = await CreateRepositoryAsync(env);
        var task = await env.Server.CreateTaskAsync(env.Board.Id, "long work", env.Agent.Id,
            DaemonTestEnvironment.Description(["claim", "write progress.txt half done", "sleep 600000"]), repository.Id);
        await using var link = CuttableLink.To(env.Server.Port);
        var first = env.StartProcess(new Dictionary<string, string> { ["AK_SERVER"] = link.BaseUrl });

        await env.WaitForStatusAsync(task.Id, "in_progress");
        var firstRun = await Eventually.WaitAsync(() => Task.FromResult(env.InvocationsFor(task.Id) is [var run, ..] ? run : null), "the first agent to start");
        var workspace = await Eventually.WaitAsync(async () => (await StoreReader.WorkspaceAsync(env.StateDir, task.Id))?.Workspace, "the session's worktree");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(Path.Combine(workspace, "progress.txt"))), "the agent's first piece of work");
        // Resolved now, while the agent lives: FakeInvocation.Pid looks its PID namespace up each time, and once the agent is
        // gone the kernel may give that namespace's number to the second agent's sandbox.
        var firstPid = firstRun.Pid;
        Assert.NotEqual(0, firstPid);

        // The network between the first machine and the server drops every packet from now on. A second machine is up
        // at once, ready to take the task the moment the server lets the first one's lease go.
        var firstStopped = ExitTimeAsync(firstPid, TimeSpan.FromSeconds(30));
        link.Cut(blackhole: true);
        var second = env.StartProcess(stateDir: Path.Combine(env.Root, "state-second-machine"));
        var firstStoppedAt = await firstStopped;
        var secondRun = await Eventually.WaitAsync(() => Task.FromResult(env.InvocationsFor(task.Id).Skip(1).FirstOrDefault()),
            "the second machine's agent to start", TimeSpan.FromSeconds(60));
        Assert.NotEqual(firstPid, secondRun.Pid);
        Assert.False(secondRun.Concurrent, "the second agent started while the first still held the task");
        Assert.True(firstStoppedAt < secondRun.At, $"first agent stopped at {firstStoppedAt}, the second started at {secondRun.At}");
        Assert.NotEqual(firstRun.AkSessionId, secondRun.AkSessionId);
        var taken = await env.Server.GetTaskAsync(task.Id);
        Assert.Contains(taken.Activity!, a => a.Action == "lease_expired");

        // The network comes back: the first daemon learns the task is someone else's, closes its session with the
        // agent's work saved to its wip ref, and never starts an agent for it again.
        link.Restore();
        var closed = await Eventually.WaitAsync(async () =>
            (await StoreReader.SessionsAsync(env.StateDir)).FirstOrDefault(s => s.TaskId == task.Id && s.ClosedAtMs is not null),
            "the first machine's session to close", TimeSpan.FromSeconds(60));
        var wip = await WipCommitAsync(env.StateDir, closed.Id);
        Assert.Equal("half done", (await GitAsync(wip.Mirror, "show", wip.Commit + ":progress.txt")).Trim());
        Assert.Equal(2, env.InvocationsFor(task.Id).Count);
        Assert.True(IsAlive(secondRun.Pid), "the second machine's agent goes on");
        Assert.False(first.HasExited, first.Output);
        Assert.False(second.HasExited, second.Output);
    }

    /// <summary>When the process stopped running (unix ms), seen by looking every 10 ms.</summary>
    private static async Task<long> ExitTimeAsync(int pid, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        while (IsAlive(pid))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, limit.Token);
        }

        return TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Running (not gone, not a zombie waiting to be reaped).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task<Contracts.RepositoryDto> CreateRepositoryAsync(DaemonTestEnvironment env)
    {
        var path = Directory.CreateDirectory(Path.Combine(env.Root, "origin")).FullName;
        await GitAsync(path, "init", "--quiet", "--initial-branch=main");
        await File.WriteAllTextAsync(Path.Combine(path, "README.md"), "hello\n");
        await GitAsync(path, "add", "--all");
        await GitAsync(path, "commit", "--quiet", "--no-gpg-sign", "-m", "initial");
        return await env.Server.CreateRepositoryAsync("repo-" + env.Marker[..6], path);
    }

    /// <summary>The commit of <c>refs/wip/&lt;session&gt;</c> in whichever mirror of the state dir holds it.</summary>
    private static async Task<(string Mirror, string Commit)> WipCommitAsync(string stateDir, string sessionId)
    {
        foreach (var mirror in Directory.EnumerateDirectories(Path.Combine(stateDir, "repos"), "*.git"))
        {
            var refs = await GitAsync(mirror, "for-each-ref", "--format=%(objectname)", "refs/wip/" + sessionId);
            if (refs.Trim() is { Length: > 0 } commit)
            {
                return (mirror, commit);
            }
        }

        throw new InvalidOperationException($"no wip ref for session {sessionId} under {stateDir}");
    }

    private static readonly GitRunner Git = new(new GitRunnerOptions(), TimeProvider.System, NullLogger<GitRunner>.Instance);

    private static async Task<string> GitAsync(string directory, params string[] arguments) =>
        (await Git.RunAsync(new GitInvocation(directory, arguments)
        {
            Environment = new Dictionary<string, string?>
            {
                ["GIT_AUTHOR_NAME"] = "Test", ["GIT_AUTHOR_EMAIL"] = "test@example.invalid",
                ["GIT_COMMITTER_NAME"] = "Test", ["GIT_COMMITTER_EMAIL"] = "test@example.invalid",
            },
        }, TestContext.Current.CancellationToken)).StandardOutput;
}
