using AgentKanban.Daemon.Workspaces;
using Microsoft.Extensions.DependencyInjection;

namespace AgentKanban.Daemon.Tests.Workspaces;

public sealed class WorkspaceServicesTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("ak-workspace-services-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public async Task The_workspace_manager_resolves_from_the_container_and_works()
    {
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddWorkspaces(new WorkspaceOptions(_state))
            .BuildServiceProvider();

        var manager = provider.GetRequiredService<WorkspaceManager>();
        var workspace = await manager.CreateAsync("di-session-1", null, null, TestContext.Current.CancellationToken);

        Assert.True(Directory.Exists(workspace.Path));
        Assert.StartsWith(provider.GetRequiredService<WorkspaceLayout>().Root, workspace.Path, StringComparison.Ordinal);
    }
}
