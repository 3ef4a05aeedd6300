namespace AgentKanban.Daemon.Workspaces;

/// <summary>
/// Where workspace state lives under the state directory (all 0700):
/// repos/&lt;hash&gt;.git (bare mirrors), worktrees/&lt;session&gt;, workspaces/&lt;session&gt; (ops),
/// trash/ (directories being deleted) and lost+found/ (unknown directories kept rather than deleted).
/// </summary>
public sealed class WorkspaceLayout
{
    public WorkspaceLayout(WorkspaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SafeDirectories.EnsurePrivate(options.StateDirectory);

        // git records worktree paths with symbolic links resolved; resolve ours the same way so they compare equal.
        Root = SafeDirectories.RealPath(options.StateDirectory);
        Repos = Path.Combine(Root, "repos");
        Worktrees = Path.Combine(Root, "worktrees");
        OpsWorkspaces = Path.Combine(Root, "workspaces");
        Trash = Path.Combine(Root, "trash");
        LostAndFound = Path.Combine(Root, "lost+found");
        foreach (var directory in new[] { Repos, Worktrees, OpsWorkspaces, Trash, LostAndFound })
        {
            SafeDirectories.EnsurePrivate(directory);
        }
    }

    public string Root { get; }

    public string Repos { get; }

    public string Worktrees { get; }

    public string OpsWorkspaces { get; }

    public string Trash { get; }

    public string LostAndFound { get; }

    public string WorktreePath(string sessionId) => Path.Combine(Worktrees, sessionId);

    public string OpsPath(string sessionId) => Path.Combine(OpsWorkspaces, sessionId);
}
