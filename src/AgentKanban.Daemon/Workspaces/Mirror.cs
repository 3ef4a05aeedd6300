namespace AgentKanban.Daemon.Workspaces;

/// <summary>A local bare mirror of one repository. Upstream branches live under refs/remotes/origin/*;
/// session branches (refs/heads/ak/*) and saved work (refs/wip/*) are the daemon's own and never pruned.</summary>
public sealed record Mirror(string RepositoryUrl, string Path, string? DefaultBranchRef);
