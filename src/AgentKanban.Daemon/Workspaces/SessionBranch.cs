namespace AgentKanban.Daemon.Workspaces;

/// <summary>The branch a session works on; <paramref name="Exists"/> when it was made earlier (the session's own work).</summary>
internal sealed record SessionBranch(string Name, bool Exists);
