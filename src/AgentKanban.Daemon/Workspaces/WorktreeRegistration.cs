namespace AgentKanban.Daemon.Workspaces;

/// <summary>A worktree as its mirror records it (the files under &lt;mirror&gt;/worktrees/&lt;name&gt;/).</summary>
/// <param name="MirrorPath">The bare mirror (git's common directory).</param>
/// <param name="AdminPath">The worktree's private git directory inside the mirror.</param>
/// <param name="Branch">The checked-out branch without "refs/heads/", or null for a detached HEAD.</param>
/// <param name="BeingCreated">Still carries the lock "git worktree add" was started with: creation did not finish.</param>
internal sealed record WorktreeRegistration(string MirrorPath, string AdminPath, string? Branch, bool BeingCreated);
