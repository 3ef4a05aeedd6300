namespace AgentKanban.Daemon.Workspaces;

/// <summary>What removing a session's workspace did.</summary>
public sealed record WorkspaceRemoval(string SessionId, bool Found)
{
    /// <summary>"refs/wip/&lt;session id&gt;" in the mirror when uncommitted work was saved.</summary>
    public string? WipRef { get; init; }

    public string? WipCommit { get; init; }

    /// <summary>The session branch, kept in the mirror.</summary>
    public string? Branch { get; init; }

    public string? MirrorPath { get; init; }

    /// <summary>Set when a directory that no mirror knows still held files: it was moved here instead of deleted.</summary>
    public string? LostAndFoundPath { get; init; }
}
