using AgentKanban.Agents.Process.Sandbox;
using AgentKanban.Agents.Tests.Support;

namespace AgentKanban.Agents.Tests.Sandbox;

/// <summary>What the sandbox's init script mounts, decided from the spec and the paths that exist.</summary>
public sealed class SandboxScriptTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Dir(string relative) => Directory.CreateDirectory(_dir.File(relative)).FullName;

    [Fact]
    public void Hidden_directories_inside_other_hidden_ones_or_missing_are_not_mounted_twice()
    {
        var state = Dir("state");
        var inner = Dir("state/logs");
        var config = Dir("config");
        var missing = _dir.File("nowhere");

        var script = NamespaceSandbox.SetupScript(new SandboxSpec { Hidden = [inner, state, config, missing, state + "/"] }, state, "/usr/bin/unshare", new(0, 0));

        var covers = Lines(script, "mount -t tmpfs -o mode=0755");
        Assert.Equal([$"mount -t tmpfs -o mode=0755 -- ak-sandbox '{config}'", $"mount -t tmpfs -o mode=0755 -- ak-sandbox '{state}'"], covers);
    }

    [Fact]
    public void Only_open_paths_inside_a_hidden_directory_are_bound_and_an_inner_one_rides_on_the_outer()
    {
        var state = Dir("state");
        var worktree = Dir("state/worktrees/s-1");
        var insideWorktree = Dir("state/worktrees/s-1/sub");
        var outside = Dir("elsewhere");
        var key = _dir.File("state/tools.bin");
        File.WriteAllText(key, "x");

        var script = NamespaceSandbox.SetupScript(new SandboxSpec
        {
            Hidden = [state],
            Open = [new OpenPath(insideWorktree, true), new OpenPath(worktree, true), new OpenPath(outside, true), new OpenPath(key, false)],
        }, worktree, "/usr/bin/unshare", new(1000, 1000));

        Assert.Equal([$"mount --rbind -- /dev/shm/0 '{key}'", $"mount --rbind -- /dev/shm/1 '{worktree}'"], Lines(script, "mount --rbind -- /dev/shm/"));
        Assert.Equal([$"mount -o remount,bind,ro -- '{key}'"], Lines(script, "mount -o remount"));
        Assert.Contains($"touch -- /dev/shm/0 && mount --bind -- '{key}' /dev/shm/0", script, StringComparison.Ordinal);
        Assert.EndsWith("'/usr/bin/unshare' --user --map-user=1000 --map-group=1000 -- \"$@\"\nexit $?\n", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/plain/path", "'/plain/path'")]
    [InlineData("/with space/and $dollar", "'/with space/and $dollar'")]
    [InlineData("/it's", "'/it'\"'\"'s'")]
    public void Paths_are_quoted_so_the_shell_reads_them_back_exactly(string path, string quoted)
    {
        Assert.Equal(quoted, NamespaceSandbox.Quote(path));
    }

    [Fact]
    public async Task A_path_with_quotes_and_spaces_survives_the_round_trip_through_the_shell()
    {
        // The probe hides, opens and writes under this directory: a quote, a space and a `$` in every path it mounts.
        var state = Dir("st'ate $HOME");
        var support = await SandboxProbe.CheckAsync("/usr/bin/unshare", state, TestContext.Current.CancellationToken);
        Assert.True(support.Available, support.Problem);
    }

    [Fact]
    public async Task The_probe_says_why_when_the_sandbox_cannot_be_made()
    {
        var ct = TestContext.Current.CancellationToken;

        var missing = await SandboxProbe.CheckAsync(_dir.File("no-unshare"), _dir.Path, ct);
        var refused = await SandboxProbe.CheckAsync("/bin/false", _dir.Path, ct);
        var none = await SandboxProbe.CheckAsync(null, _dir.Path, ct);

        Assert.False(missing.Available);
        Assert.Contains("was not found at", missing.Problem, StringComparison.Ordinal);
        Assert.False(refused.Available);
        Assert.Equal("user, mount and PID namespaces could not be set up: exit code 1", refused.Problem);
        Assert.Contains("not found on PATH", none.Problem, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, "sandbox-probe-*"));
    }

    private static List<string> Lines(string script, string prefix) =>
        [.. script.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];
}
