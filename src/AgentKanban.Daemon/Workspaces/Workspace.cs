namespace AgentKanban.Daemon.Workspaces;

/// <summary>Where a session's agent works.</summary>
public sealed record Workspace(string SessionId, WorkspaceKind Kind, string Path)
{
    /// <summary>The session's branch ("ak/&lt;short id&gt;") for a worktree; null for ops or a detached HEAD.</summary>
    public string? Branch { get; init; }

    /// <summary>The bare mirror the worktree belongs to (its refs are the worktree's refs).</summary>
    public string? MirrorPath { get; init; }

    /// <summary>True when the workspace already existed (restart recovery) and was reused untouched.</summary>
    public bool Reused { get; init; }
}
