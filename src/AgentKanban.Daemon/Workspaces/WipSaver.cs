using AgentKanban.Daemon.Git;

namespace AgentKanban.Daemon.Workspaces;

/// <summary>
/// Saves a worktree's uncommitted work (changes, staged or not, and untracked files that are not ignored) as a
/// commit under refs/wip/&lt;session id&gt; in the mirror, whose parent is the worktree's HEAD. The worktree's
/// branch and index are not touched: the snapshot is built in a temporary index.
/// </summary>
internal sealed class WipSaver(GitRunner git, WorkspaceOptions options)
{
    private static readonly Dictionary<string, string?> Identity = new()
    {
        ["GIT_AUTHOR_NAME"] = "Agent Kanban",
        ["GIT_AUTHOR_EMAIL"] = "daemon@agent-kanban.invalid",
        ["GIT_COMMITTER_NAME"] = "Agent Kanban",
        ["GIT_COMMITTER_EMAIL"] = "daemon@agent-kanban.invalid",
    };

    /// <summary>Returns the snapshot, or null when there was nothing the branch does not already hold.</summary>
    public async Task<WipSnapshot?> SaveAsync(WorktreeRegistration registration, string worktreePath, string sessionId, CancellationToken ct)
    {
        // Address the worktree through its record in the mirror, not its ".git" link: the agent may have
        // deleted the link, and the work must still be saved.
        string[] repository = [$"--git-dir={registration.AdminPath}", $"--work-tree={worktreePath}"];
        var head = await Probe(worktreePath, [.. repository, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], ct);
        var onBranch = (await Probe(worktreePath, [.. repository, "symbolic-ref", "--quiet", "HEAD"], ct)) is not null;

        // Start from a copy of the real index so "add -A" only hashes what changed.
        var index = Path.Combine(registration.AdminPath, "agent-kanban-wip.index");
        var realIndex = Path.Combine(registration.AdminPath, "index");
        if (File.Exists(realIndex))
        {
            File.Copy(realIndex, index, overwrite: true);
        }
        else
        {
            File.Delete(index);
        }

        try
        {
            var withIndex = new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = index };
            await Run(worktreePath, [.. repository, "add", "--all", "."], withIndex, ct);
            var tree = (await Run(worktreePath, [.. repository, "write-tree"], withIndex, ct)).Trimmed;

            // Nothing uncommitted, and HEAD is on a branch that keeps its commits: no snapshot needed. A detached
            // HEAD is saved even when clean, because removing the worktree would leave its commits unreachable.
            if (head is not null && onBranch && tree == await Probe(worktreePath, [.. repository, "rev-parse", head + "^{tree}"], ct))
            {
                return null;
            }

            string[] parent = head is null ? [] : ["-p", head];
            var message = $"wip: uncommitted work of session {sessionId}\n\nSaved before its worktree was removed.";
            var commit = (await Run(
                worktreePath,
                [.. repository, "commit-tree", "--no-gpg-sign", tree, .. parent, "-m", message],
                Identity,
                ct)).Trimmed;
            var wipRef = SessionIds.WipRef(sessionId);
            await Run(registration.MirrorPath, ["update-ref", "-m", $"wip of session {sessionId}", wipRef, commit], null, ct);
            return new WipSnapshot(wipRef, commit);
        }
        finally
        {
            File.Delete(index);
        }
    }

    private async Task<string?> Probe(string workingDirectory, string[] arguments, CancellationToken ct)
    {
        var result = await git.TryRunAsync(new GitInvocation(workingDirectory, arguments) { Timeout = options.LocalTimeout }, ct);
        return result.Succeeded ? result.Trimmed : null;
    }

    private Task<GitResult> Run(string workingDirectory, string[] arguments, IReadOnlyDictionary<string, string?>? environment, CancellationToken ct) =>
        git.RunAsync(new GitInvocation(workingDirectory, arguments) { Environment = environment, Timeout = options.LocalTimeout }, ct);
}
