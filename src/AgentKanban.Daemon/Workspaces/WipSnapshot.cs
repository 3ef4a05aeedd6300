namespace AgentKanban.Daemon.Workspaces;

/// <summary>Uncommitted work saved as a commit (parent: the worktree's HEAD) under <paramref name="Ref"/>.</summary>
public sealed record WipSnapshot(string Ref, string Commit);
