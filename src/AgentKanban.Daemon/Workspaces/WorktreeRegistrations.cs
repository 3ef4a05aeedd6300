namespace AgentKanban.Daemon.Workspaces;

/// <summary>
/// Finds which mirror a worktree directory is registered in by reading git's worktree records directly:
/// this works when the directory (or its ".git" link) is already gone, which is exactly when a retried
/// removal needs it.
/// </summary>
internal static class WorktreeRegistrations
{
    /// <summary>The lock reason our "git worktree add" is started with and which is removed once it finished.</summary>
    public const string CreatingLockReason = "agent-kanban: creating";

    /// <summary>The registration of <paramref name="worktreePath"/>: via its ".git" link when present, else by
    /// scanning every mirror.</summary>
    public static WorktreeRegistration? Find(IEnumerable<string> mirrorPaths, string worktreePath)
    {
        if (FromGitLink(worktreePath) is { } linked)
        {
            return linked;
        }

        foreach (var mirror in mirrorPaths)
        {
            if (FindInMirror(mirror, worktreePath) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The registration of <paramref name="worktreePath"/> in one mirror, or null.</summary>
    public static WorktreeRegistration? FindInMirror(string mirrorPath, string worktreePath)
    {
        var records = Path.Combine(mirrorPath, "worktrees");
        if (!Directory.Exists(records))
        {
            return null;
        }

        var link = Path.Combine(worktreePath, ".git");
        foreach (var admin in Directory.EnumerateDirectories(records))
        {
            if (ReadLine(Path.Combine(admin, "gitdir")) == link)
            {
                return Describe(mirrorPath, admin);
            }
        }

        return null;
    }

    /// <summary>Removes the creation lock, which would stop "git worktree prune" from dropping the record.</summary>
    public static void ClearCreationLock(WorktreeRegistration registration)
    {
        var locked = Path.Combine(registration.AdminPath, "locked");
        if (ReadLine(locked) == CreatingLockReason)
        {
            File.Delete(locked);
        }
    }

    private static WorktreeRegistration? FromGitLink(string worktreePath)
    {
        var link = ReadLine(Path.Combine(worktreePath, ".git"));
        if (link is null || !link.StartsWith("gitdir: ", StringComparison.Ordinal))
        {
            return null;
        }

        var admin = Path.GetFullPath(link["gitdir: ".Length..], worktreePath);

        // The record must point back at this directory; otherwise the link is stale or copied from elsewhere.
        if (ReadLine(Path.Combine(admin, "gitdir")) != Path.Combine(worktreePath, ".git")
            || ReadLine(Path.Combine(admin, "commondir")) is not { } common)
        {
            return null;
        }

        return Describe(Path.GetFullPath(common, admin).TrimEnd('/'), admin);
    }

    private static WorktreeRegistration Describe(string mirrorPath, string admin)
    {
        var head = ReadLine(Path.Combine(admin, "HEAD"));
        var branch = head is not null && head.StartsWith("ref: refs/heads/", StringComparison.Ordinal)
            ? head["ref: refs/heads/".Length..]
            : null;
        var beingCreated = ReadLine(Path.Combine(admin, "locked")) == CreatingLockReason;
        return new WorktreeRegistration(mirrorPath, admin, branch, beingCreated);
    }

    private static string? ReadLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n', '\r') : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
