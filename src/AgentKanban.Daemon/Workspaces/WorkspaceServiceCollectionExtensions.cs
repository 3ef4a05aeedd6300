using AgentKanban.Daemon.Git;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentKanban.Daemon.Workspaces;

public static class WorkspaceServiceCollectionExtensions
{
    /// <summary>Registers the git runner, the mirror store and the workspace manager for a state directory.</summary>
    public static IServiceCollection AddWorkspaces(this IServiceCollection services, WorkspaceOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new GitRunnerOptions());
        services.TryAddSingleton<GitRunner>();
        services.AddSingleton(options);
        services.AddSingleton<WorkspaceLayout>();
        services.AddSingleton<MirrorStore>();
        services.AddSingleton<WorkspaceManager>();
        return services;
    }
}
