using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.RealCli;

/// <summary>
/// Pins which permission flags let a headless agent run commands. The machines that run these tests
/// run them as root; an ordinary user is simulated with <c>setpriv</c> (uid/gid 65534, "nobody").
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class PermissionTests
{
    private const int Nobody = 65534;

    private static bool IsRoot => Environment.UserName == "root";

    [Fact]
    public async Task The_headless_flags_let_bash_run_commands_as_this_user()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        sandbox.Api.Enqueue(FakeReply.Bash("ak-probe && echo made > made.txt"), FakeReply.Text("Done."));
        sandbox.AddTool("ak-probe", "#!/bin/sh\necho probed\n");

        var run = await sandbox.RunAsync(sandbox.Options("Run the probe"), ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(Path.Combine(sandbox.WorkingDirectory, "made.txt")), run.ToString());
        Assert.False((bool?)Assert.Single(run.ContentBlocks("user"))["is_error"]);
    }

    [Fact]
    public async Task The_headless_flags_let_bash_run_commands_as_an_ordinary_user()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        OpenToEveryone(sandbox);
        sandbox.AddTool("ak-probe", "#!/bin/sh\nid -u > uid.txt\n");
        sandbox.Api.Enqueue(FakeReply.Bash("ak-probe"), FakeReply.Text("Done."));
        var options = sandbox.Options("Run the probe");
        if (IsRoot)
        {
            options = options with { Launcher = ["setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups"] };
        }

        var run = await sandbox.RunAsync(options, ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        var uid = (await File.ReadAllTextAsync(Path.Combine(sandbox.WorkingDirectory, "uid.txt"), ct)).Trim();
        Assert.NotEqual("0", uid);
    }

    [Fact]
    public async Task Skipping_permissions_is_refused_as_root_only()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var options = sandbox.Options("Say hello") with { PermissionArguments = ["--permission-mode", "bypassPermissions"] };

        var run = await sandbox.RunAsync(options, ct);

        if (IsRoot)
        {
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains("cannot be used with root/sudo privileges", run.Stderr + string.Join('\n', run.StdoutLines), StringComparison.Ordinal);
            Assert.Empty(sandbox.Api.ModelRequests);
        }
        else
        {
            Assert.True(run.ExitCode == 0, run.ToString());
        }
    }

    [Fact]
    public async Task Accept_edits_without_the_allow_list_refuses_commands_but_the_run_still_succeeds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var calls = Path.Combine(sandbox.Root, "calls.txt");
        sandbox.AddTool("ak", $"#!/bin/sh\necho \"$*\" >> '{calls}'\n");
        sandbox.Api.Enqueue(FakeReply.Bash("ak task claim"), FakeReply.Text("Could not claim."));
        var options = sandbox.Options("Claim the task") with { PermissionArguments = ["--permission-mode", "acceptEdits"] };

        var run = await sandbox.RunAsync(options, ct);

        Assert.True(run.ExitCode == 0, run.ToString());
        var refusal = Assert.Single(run.ContentBlocks("user"));
        Assert.True((bool?)refusal["is_error"]);
        Assert.Contains("requires approval", (string?)refusal["content"], StringComparison.Ordinal);
        Assert.False(File.Exists(calls));
        Assert.NotEmpty(run.Result["permission_denials"]!.AsArray());
    }

    // A process running as another user needs to enter the sandbox and write in its directories.
    private static void OpenToEveryone(ClaudeSandbox sandbox)
    {
        const UnixFileMode all = (UnixFileMode)0b111_111_111;
        File.SetUnixFileMode(sandbox.Root, all);
        foreach (var directory in new[] { sandbox.WorkingDirectory, sandbox.Home, sandbox.Bin, sandbox.Temp })
        {
            File.SetUnixFileMode(directory, all);
        }
    }
}
