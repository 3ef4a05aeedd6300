namespace AgentKanban.Daemon.Workspaces;

public enum WorkspaceKind
{
    /// <summary>A git worktree of the task's repository on the session's own branch.</summary>
    Worktree,

    /// <summary>A private directory for a task without a repository.</summary>
    Ops,
}
