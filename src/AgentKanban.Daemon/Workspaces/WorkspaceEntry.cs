namespace AgentKanban.Daemon.Workspaces;

/// <summary>A workspace directory found on disk (for the restart recovery pass to match against the store).</summary>
public sealed record WorkspaceEntry(string SessionId, WorkspaceKind Kind, string Path);
