namespace AgentKanban.Agents.Codex;

/// <summary>
/// What Codex's own <c>workspace-write</c> sandbox must also let the agent write so that it can commit in a linked git
/// worktree. The worktree's <c>.git</c> is a file naming its metadata folder inside the main repository's <c>.git</c>,
/// outside the workspace, and Codex keeps every <c>.git</c> it sees read-only; the folders a commit writes (the worktree's
/// own metadata, and the shared objects, refs and reflogs) are named one by one instead (verified on 0.169.0: with them a
/// commit succeeds, without them git fails with "Read-only file system").
/// </summary>
public static class CodexGitRoots
{
    /// <summary>The folders to add as writable roots; empty when the directory is not a linked worktree.</summary>
    public static IReadOnlyList<string> For(string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(workingDirectory);
        try
        {
            var dotGit = Path.Combine(workingDirectory, ".git");
            if (!File.Exists(dotGit))
            {
                return [];
            }

            var pointer = File.ReadLines(dotGit).FirstOrDefault(l => l.StartsWith("gitdir:", StringComparison.Ordinal));
            if (pointer is null)
            {
                return [];
            }

            var gitDir = Path.GetFullPath(pointer["gitdir:".Length..].Trim(), workingDirectory);
            var commonFile = Path.Combine(gitDir, "commondir");
            var commonDir = File.Exists(commonFile)
                ? Path.GetFullPath(File.ReadLines(commonFile).FirstOrDefault()?.Trim() ?? ".", gitDir)
                : gitDir;
            var roots = new List<string> { gitDir };
            foreach (var shared in new[] { "objects", "refs", "logs" })
            {
                var path = Path.Combine(commonDir, shared);
                if (Directory.Exists(path) && !roots.Contains(path, StringComparer.Ordinal))
                {
                    roots.Add(path);
                }
            }

            return roots;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return [];
        }
    }
}
