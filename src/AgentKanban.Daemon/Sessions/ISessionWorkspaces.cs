using AgentKanban.Daemon.Workspaces;

namespace AgentKanban.Daemon.Sessions;

/// <summary>A session's workspace as the loop needs it.</summary>
/// <param name="WipRef">Where uncommitted work was saved before removal, if there was any.</param>
public sealed record SessionWorkspace(string Path, string? Branch, string? WipRef = null);

/// <summary>Creates and removes session workspaces (a git worktree per session, or a private directory for ops tasks).</summary>
public interface ISessionWorkspaces
{
    /// <summary>Creates the workspace, or returns the session's existing one untouched (restart recovery).</summary>
    Task<SessionWorkspace> CreateAsync(string sessionId, string? repositoryUrl, CancellationToken cancellationToken);

    /// <summary>Saves uncommitted work to a wip ref, then removes the workspace. Idempotent.</summary>
    Task<string?> RemoveAsync(string sessionId, CancellationToken cancellationToken);
}

/// <summary>Failures worth another try later (a repository that could not be reached) versus for good.</summary>
public static class WorkspaceFailures
{
    public static bool IsTransient(WorkspaceException e) =>
        e?.Error is WorkspaceError.RepositoryUnavailable or WorkspaceError.GitFailed;
}

/// <summary><see cref="ISessionWorkspaces"/> over the git-backed <see cref="WorkspaceManager"/>.</summary>
public sealed class GitSessionWorkspaces(WorkspaceManager manager) : ISessionWorkspaces
{
    public async Task<SessionWorkspace> CreateAsync(string sessionId, string? repositoryUrl, CancellationToken cancellationToken)
    {
        var workspace = await manager.CreateAsync(sessionId, repositoryUrl, null, cancellationToken);
        return new SessionWorkspace(workspace.Path, workspace.Branch);
    }

    public async Task<string?> RemoveAsync(string sessionId, CancellationToken cancellationToken)
    {
        var removal = await manager.RemoveAsync(sessionId, cancellationToken);
        return removal.WipRef;
    }
}
