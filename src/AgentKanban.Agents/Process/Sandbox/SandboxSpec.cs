namespace AgentKanban.Agents.Process.Sandbox;

/// <summary>A path shown again inside a hidden directory: the host's file or directory, at the same place.</summary>
/// <param name="Path">Absolute path of an existing file or directory.</param>
/// <param name="Writable">False: mounted read-only inside the sandbox.</param>
public sealed record OpenPath(string Path, bool Writable);

/// <summary>
/// What an agent process may see. The host's file system stays visible as it is (the agent needs its tools, its
/// runtime's home, the network) except <see cref="Hidden"/> directories, which become empty; inside them only
/// <see cref="Open"/> paths appear. The process also gets its own PID namespace (it sees only its own processes
/// in <c>/proc</c>) and an empty <c>/dev/shm</c>.
/// </summary>
public sealed record SandboxSpec
{
    /// <summary>Absolute directories whose content the agent must not see. Missing ones are skipped.</summary>
    public IReadOnlyList<string> Hidden { get; init; } = [];

    /// <summary>Absolute paths inside hidden directories the agent needs (its worktree, the git data, its temp dir).</summary>
    public IReadOnlyList<OpenPath> Open { get; init; } = [];
}

/// <summary>Which user the agent runs as inside the sandbox: the daemon's own (root stays root, a user stays that user).</summary>
public readonly record struct SandboxUser(uint UserId, uint GroupId)
{
    public static SandboxUser Current => new(Posix.geteuid(), Posix.getegid());
}
