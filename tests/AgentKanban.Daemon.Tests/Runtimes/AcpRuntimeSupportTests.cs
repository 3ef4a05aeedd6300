using AgentKanban.Contracts;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.Runtimes;

/// <summary>What the daemon does for runtime <c>acp</c>: find its default agent, and keep an agent's own command with its session.</summary>
public sealed class AcpRuntimeSupportTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("ak-acp-bin-").FullName;

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private string Executable(string name)
    {
        var path = Path.Combine(_bin, name);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void Acp_is_installed_when_the_default_agent_is_on_PATH()
    {
        var environment = new Dictionary<string, string?> { ["PATH"] = _bin };
        Assert.False(RuntimeCatalog.Discover(null, environment).IsInstalled(RuntimeNames.Acp));

        var agent = Executable("claude-agent-acp");

        Assert.Equal(agent, RuntimeCatalog.Discover(null, environment).ExecutableFor(RuntimeNames.Acp));
    }

    [Fact]
    public void AK_ACP_COMMAND_names_the_default_agent_and_AK_RUNTIME_ACP_still_overrides_it()
    {
        Executable("claude-agent-acp");
        var copilot = Executable("copilot");
        var environment = new Dictionary<string, string?> { ["PATH"] = _bin, ["AK_ACP_COMMAND"] = "copilot --acp" };

        Assert.Equal(copilot, RuntimeCatalog.Discover(null, environment).ExecutableFor(RuntimeNames.Acp));

        environment["AK_ACP_COMMAND"] = "missing-agent --acp";
        Assert.False(RuntimeCatalog.Discover(null, environment).IsInstalled(RuntimeNames.Acp));

        var pinned = Executable("pinned-agent");
        environment["AK_RUNTIME_ACP"] = pinned;
        Assert.Equal(pinned, RuntimeCatalog.Discover(null, environment).ExecutableFor(RuntimeNames.Acp));
    }

    [Fact]
    public async Task A_sessions_agent_command_is_stored_and_read_back()
    {
        await using var store = await TempStore.CreateAsync();
        var session = await store.InsertAsync(TempStore.NewSession() with { AgentCommand = "gemini --acp --model 'flash lite'" });

        var stored = await store.Sessions.GetAsync(session.Id, CancellationToken.None);

        Assert.Equal("gemini --acp --model 'flash lite'", stored!.AgentCommand);
        Assert.Null((await store.InsertAsync(TempStore.NewSession())).AgentCommand);
    }
}
