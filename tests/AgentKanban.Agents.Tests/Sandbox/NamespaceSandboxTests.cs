using AgentKanban.Agents.Process;
using AgentKanban.Agents.Process.Sandbox;
using AgentKanban.Agents.Tests.Support;

namespace AgentKanban.Agents.Tests.Sandbox;

/// <summary>
/// The sandbox for real: processes started through util-linux <c>unshare</c> on this machine, as the test's own
/// user (root here) and as an unprivileged user (<c>setpriv</c> to nobody), with real files behind real mounts.
/// </summary>
public sealed class NamespaceSandboxTests : IDisposable
{
    private const string Unshare = "/usr/bin/unshare";
    private const uint Nobody = 65534;
    private readonly TempDirectory _dir = new();
    private readonly string _state;
    private readonly string _worktree;
    private readonly string _otherWorktree;

    public NamespaceSandboxTests()
    {
        // Unprivileged runs must be able to walk to the worktree, as an agent run by a normal user could.
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
        _state = Directory.CreateDirectory(_dir.File("state")).FullName;
        _worktree = Directory.CreateDirectory(Path.Combine(_state, "worktrees", "s-1")).FullName;
        _otherWorktree = Directory.CreateDirectory(Path.Combine(_state, "worktrees", "s-2")).FullName;
        File.WriteAllText(Path.Combine(_state, "machine.key"), "akm_secret");
        File.WriteAllText(Path.Combine(_worktree, "mine.txt"), "mine");
        File.WriteAllText(Path.Combine(_otherWorktree, "theirs.txt"), "theirs");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_agent_sees_its_worktree_but_not_the_state_around_it_nor_other_processes()
    {
        var (lines, exit) = await RunAsync(SandboxUser.Current, "ls -A \"$STATE\" | tr '\\n' ' '; echo",
            "ls -A \"$STATE/worktrees\" | tr '\\n' ' '; echo",
            "cat mine.txt; echo",
            "cat \"$STATE/machine.key\" 2>/dev/null || echo no-key",
            "test -e \"$STATE/worktrees/s-2/theirs.txt\" && echo other-visible || echo other-hidden",
            $"test -e /proc/{Environment.ProcessId}/environ && echo host-pid-visible || echo host-pid-hidden",
            "ls /proc | grep -c '^[0-9]'",
            "echo written > new.txt && echo wrote",
            "id -u");

        Assert.Equal(new ProcessExit(0, null, false), NamespaceSandbox.AgentExit(exit));
        Assert.Equal("worktrees", lines[0].Trim());
        Assert.Equal("s-1", lines[1].Trim());
        Assert.Equal(["mine", "no-key", "other-hidden", "host-pid-hidden"], lines[2..6]);
        // The init shell, the agent's shell, ls and grep: nothing of the host's.
        Assert.InRange(int.Parse(lines[6], System.Globalization.CultureInfo.InvariantCulture), 2, 6);
        Assert.Equal("wrote", lines[7]);
        Assert.Equal(Posix.geteuid().ToString(System.Globalization.CultureInfo.InvariantCulture), lines[8]);
        Assert.Equal("written\n", File.ReadAllText(Path.Combine(_worktree, "new.txt")));
        Assert.Equal("akm_secret", File.ReadAllText(Path.Combine(_state, "machine.key")));
    }

    [Fact]
    public async Task The_agent_cannot_unmount_the_cover_even_when_the_daemon_is_root()
    {
        var (lines, _) = await RunAsync(SandboxUser.Current,
            "umount -l \"$STATE\" 2>/dev/null && echo unmounted || echo refused",
            "cat \"$STATE/machine.key\" 2>/dev/null || echo no-key");

        Assert.Equal(["refused", "no-key"], lines);
    }

    [Fact]
    public async Task An_unprivileged_daemon_gets_the_same_sandbox_and_keeps_its_user()
    {
        Assert.SkipUnless(Posix.geteuid() == 0, "needs root to become nobody with setpriv");
        // The unprivileged daemon's state belongs to it (inside the sandbox, root holds no power over other users' files).
        foreach (var entry in Directory.EnumerateFileSystemEntries(_state, "*", SearchOption.AllDirectories).Append(_state))
        {
            Chown(entry, Nobody);
        }

        var (lines, exit) = await RunAsync(new SandboxUser(Nobody, Nobody),
            "id -u", "cat mine.txt; echo", "cat \"$STATE/machine.key\" 2>/dev/null || echo no-key",
            "ls -A \"$STATE/worktrees\" | tr '\\n' ' '; echo", "echo written > by-nobody.txt && echo wrote");

        Assert.Equal(0, NamespaceSandbox.AgentExit(exit).ExitCode);
        Assert.Equal(["65534", "mine", "no-key", "s-1", "wrote"], lines.Select(l => l.Trim()));
    }

    [Fact]
    public async Task A_read_only_opening_can_be_read_but_not_written()
    {
        var tools = Directory.CreateDirectory(Path.Combine(_state, "tools")).FullName;
        File.WriteAllText(Path.Combine(tools, "tool.txt"), "tool");
        var (lines, _) = await RunAsync(SandboxUser.Current, [new OpenPath(tools, Writable: false)],
            "cat \"$STATE/tools/tool.txt\"; echo", "echo x > \"$STATE/tools/new.txt\" 2>/dev/null && echo wrote || echo read-only");

        Assert.Equal(["tool", "read-only"], lines);
    }

    [Fact]
    public async Task Sigterm_to_the_group_reaches_the_agent_and_reads_back_as_the_signal()
    {
        var options = Options(SandboxUser.Current, [], "echo started", "exec sleep 600");
        await using var process = AgentProcess.Start(options);
        await foreach (var line in process.Output.ReadAllAsync(Ct))
        {
            Assert.Equal("started", Processes.Text(line));
            break;
        }

        var stop = await process.StopAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.False(stop.Escalated);
        Assert.Equal(15, NamespaceSandbox.AgentExit(stop.Exit).Signal);
    }

    [Fact]
    public async Task Sigkill_of_the_outer_process_takes_the_whole_namespace_down()
    {
        // A helper that leaves the process group (setsid) still lives in the namespace, so it dies with it.
        var options = Options(SandboxUser.Current, [], "setsid sleep 600 &", "echo started", "sleep 600");
        await using var process = AgentProcess.Start(options);
        await foreach (var line in process.Output.ReadAllAsync(Ct))
        {
            Assert.Equal("started", Processes.Text(line));
            break;
        }

        var inNamespace = SandboxedDescendants(process.ProcessId);
        Assert.NotEmpty(inNamespace);

        Assert.Equal(0, Posix.kill(process.ProcessId, Posix.SIGKILL));
        await Processes.WaitUntilAsync(() => inNamespace.All(pid => !Processes.IsAlive(pid)), "every process in the sandbox is gone");
    }

    [Theory]
    [InlineData(0, 0, null)]
    [InlineData(3, 3, null)]
    [InlineData(128, 128, null)]
    [InlineData(143, null, 15)]
    [InlineData(137, null, 9)]
    [InlineData(192, null, 64)]
    [InlineData(193, 193, null)]
    public void Exit_codes_above_128_are_the_signal_that_ended_the_agent(int code, int? exitCode, int? signal)
    {
        Assert.Equal(new ProcessExit(exitCode, signal, false), NamespaceSandbox.AgentExit(new ProcessExit(code, null, false)));
    }

    private Task<(List<string> Lines, ProcessExit Exit)> RunAsync(SandboxUser user, params string[] commands) => RunAsync(user, [], commands);

    private async Task<(List<string> Lines, ProcessExit Exit)> RunAsync(SandboxUser user, OpenPath[] extraOpen, params string[] commands)
    {
        await using var process = AgentProcess.Start(Options(user, extraOpen, commands));
        var lines = (await Processes.ReadAllAsync(process)).Select(Processes.Text).ToList();
        var exit = await process.Exited.WaitAsync(Processes.Patience, Ct);
        Assert.True(exit.ExitCode == 0, $"sandboxed run failed ({exit}): {process.StandardErrorTail}");
        return (lines, exit);
    }

    private AgentProcessOptions Options(SandboxUser user, OpenPath[] extraOpen, params string[] commands)
    {
        var spec = new SandboxSpec
        {
            Hidden = [_state],
            Open = [new OpenPath(_worktree, Writable: true), .. extraOpen],
        };
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            ["STATE"] = _state,
        };
        var wrapped = NamespaceSandbox.Wrap(new AgentProcessOptions
        {
            Executable = "/bin/sh",
            Arguments = ["-c", string.Join('\n', commands)],
            Environment = environment,
            WorkingDirectory = _worktree,
        }, spec, Unshare, user);
        if (user == SandboxUser.Current)
        {
            return wrapped;
        }

        // The daemon as an unprivileged user: the same command line, started as that user.
        return wrapped with
        {
            Executable = "/usr/bin/setpriv",
            Arguments = ["--reuid", user.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--regid", user.GroupId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--clear-groups",
                wrapped.Executable, .. wrapped.Arguments],
        };
    }

    /// <summary>Every process below <paramref name="root"/> (children found through /proc/PID/task/*/children).</summary>
    private static List<int> SandboxedDescendants(int root)
    {
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            var pid = queue.Dequeue();
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var children = File.ReadAllText(Path.Combine(task, "children"));
                foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var childPid = int.Parse(child, System.Globalization.CultureInfo.InvariantCulture);
                    found.Add(childPid);
                    queue.Enqueue(childPid);
                }
            }
        }

        return found;
    }

    private static void Chown(string path, uint owner)
    {
        using var chown = System.Diagnostics.Process.Start("/bin/chown", [owner.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        chown.WaitForExit();
    }
}
