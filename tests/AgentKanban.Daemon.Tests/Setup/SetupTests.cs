using AgentKanban.Daemon.Setup;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.Setup;

public sealed class SetupTests
{
    [Fact]
    public async Task Credentials_come_from_the_environment_before_the_config_file()
    {
        var root = TestPaths.NewTempDirectory("creds");
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "agent-kanban"));
            await File.WriteAllTextAsync(Path.Combine(root, "agent-kanban", "config.json"), """{"server":"http://from-file:1","token":"akp_file"}""", TestContext.Current.CancellationToken);
            var fromFile = await Credentials.ResolveAsync(null, null, new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = root }, CancellationToken.None);
            Assert.Equal("http://from-file:1", fromFile.Server);
            Assert.Equal("akp_file", fromFile.Token);

            var fromEnv = await Credentials.ResolveAsync(null, null, new Dictionary<string, string?>
            {
                ["XDG_CONFIG_HOME"] = root, ["AK_SERVER"] = "http://from-env:2/", ["AK_TOKEN"] = "akm_env",
            }, CancellationToken.None);
            Assert.Equal("http://from-env:2", fromEnv.Server);
            Assert.True(fromEnv.IsMachineKey);

            await Assert.ThrowsAsync<DaemonSetupException>(() => Credentials.ResolveAsync(null, null,
                new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = Path.Combine(root, "none") }, CancellationToken.None));
        }
        finally
        {
            TestPaths.DeleteQuietly(root);
        }
    }

    [Fact]
    public async Task Daemon_registers_with_a_user_token_and_keeps_its_machine_key_private()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var daemon = await env.StartInProcessAsync();
        var machineId = daemon.MachineId;
        await env.StopInProcessAsync(daemon);

        var paths = new StatePaths(env.StateDir);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(paths.Root));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(paths.MachineFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(paths.Database));
        Assert.Contains("akm_", await File.ReadAllTextAsync(paths.MachineFile, TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // A restart reuses the key and the device id: same machine, no second registration.
        var again = await env.StartInProcessAsync();
        Assert.Equal(machineId, again.MachineId);
        var machines = await env.Server.GetAsync("api/machines", Contracts.ContractsJsonContext.Default.ListMachineDto);
        Assert.Single(machines);
    }

    [Fact]
    public async Task Second_daemon_on_the_same_state_dir_is_refused()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        await env.StartInProcessAsync();

        await Assert.ThrowsAsync<DaemonSetupException>(() => env.StartInProcessAsync());
    }
}
