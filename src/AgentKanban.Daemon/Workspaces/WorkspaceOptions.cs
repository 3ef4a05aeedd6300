namespace AgentKanban.Daemon.Workspaces;

public sealed record WorkspaceOptions(string StateDirectory)
{
    /// <summary>Longest a clone or fetch may take before git is killed (a hung server must not hold a mirror forever).</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Longest a local git step (worktree add, add -A, prune) may take.</summary>
    public TimeSpan LocalTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A "*.lock" file in a mirror older than this was left by a killed git and may be removed.</summary>
    public TimeSpan StaleLockAge { get; init; } = TimeSpan.FromMinutes(10);
}
