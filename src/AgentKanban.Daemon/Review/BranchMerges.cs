using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Workspaces;

namespace AgentKanban.Daemon.Review;

/// <summary>What a look at a session branch found.</summary>
/// <param name="BaseCommit">Where the branch started (found in its reflog), for the store to keep; null when unknown.</param>
public sealed record BranchMergeCheck(bool Merged, string? BaseCommit, string Detail);

/// <summary>
/// Merge detection for plain git remotes (any URL or local path): after a fetch into the repository's mirror, the session
/// branch counts as merged when its tip — as pushed (<c>refs/remotes/origin/ak/…</c>) or as the agent left it in the mirror
/// (<c>refs/heads/ak/…</c>) — carries work beyond the commit the branch started from and is an ancestor of the remote's
/// default branch. A branch without work of its own is never "merged": its tip is in the default branch from the start.
/// </summary>
public sealed class BranchMerges(GitRunner git, MirrorStore mirrors, WorkspaceOptions options)
{
    /// <summary>Fetches the repository into its mirror (or shares a fetch that started after this call).</summary>
    /// <exception cref="WorkspaceException">The repository could not be fetched.</exception>
    public Task<Mirror> FetchAsync(string repositoryUrl, CancellationToken ct) => mirrors.PrepareAsync(repositoryUrl, ct);

    /// <summary>Looks at the session branch in a freshly fetched mirror.</summary>
    /// <exception cref="GitException">A local git command failed.</exception>
    public async Task<BranchMergeCheck> CheckAsync(Mirror mirror, string branch, string? knownBase, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        ArgumentException.ThrowIfNullOrEmpty(branch);
        if (branch.StartsWith('-'))
        {
            return new(false, knownBase, $"'{branch}' is not a branch name");
        }

        if (mirror.DefaultBranchRef is not { } defaultBranch)
        {
            return new(false, knownBase, "the repository has no default branch");
        }

        var start = knownBase ?? await CreationCommitAsync(mirror.Path, branch, ct);
        if (start is null)
        {
            return new(false, null, $"where {branch} started is not known (no reflog)");
        }

        foreach (var tipRef in new[] { $"refs/remotes/origin/{branch}", $"refs/heads/{branch}" })
        {
            if (await ResolveAsync(mirror.Path, tipRef, ct) is not { } tip)
            {
                continue;
            }

            if (await IsAncestorAsync(mirror.Path, tip, start, ct))
            {
                continue; // No work beyond where the branch started.
            }

            if (await IsAncestorAsync(mirror.Path, tip, defaultBranch, ct))
            {
                var into = defaultBranch.StartsWith("refs/remotes/origin/", StringComparison.Ordinal)
                    ? defaultBranch["refs/remotes/origin/".Length..]
                    : defaultBranch;
                return new(true, start, $"branch {branch} ({tip[..Math.Min(12, tip.Length)]}) merged into {into}");
            }
        }

        return new(false, start, $"branch {branch} not merged yet");
    }

    /// <summary>The oldest entry of the branch's reflog: the commit it was created from (mirrors log every ref update).</summary>
    private async Task<string?> CreationCommitAsync(string mirrorPath, string branch, CancellationToken ct)
    {
        var log = await git.TryRunAsync(new GitInvocation(mirrorPath, ["reflog", "show", "--format=%H", $"refs/heads/{branch}", "--"])
        {
            Timeout = options.LocalTimeout,
        }, ct);
        if (!log.Succeeded)
        {
            return null;
        }

        var lines = log.Trimmed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? null : lines[^1];
    }

    private async Task<string?> ResolveAsync(string mirrorPath, string reference, CancellationToken ct)
    {
        var result = await git.TryRunAsync(new GitInvocation(mirrorPath, ["rev-parse", "--verify", "--quiet", reference + "^{commit}"])
        {
            Timeout = options.LocalTimeout,
        }, ct);
        return result.Succeeded ? result.Trimmed : null;
    }

    /// <summary><c>git merge-base --is-ancestor</c>: exit 0 yes, 1 no, anything else a failure.</summary>
    private async Task<bool> IsAncestorAsync(string mirrorPath, string commit, string of, CancellationToken ct)
    {
        var invocation = new GitInvocation(mirrorPath, ["merge-base", "--is-ancestor", commit, of]) { Timeout = options.LocalTimeout };
        var result = await git.TryRunAsync(invocation, ct);
        return result.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw new GitException(GitFailureKind.ExitCode, GitRunner.Describe(invocation), result.ExitCode, result.StandardError),
        };
    }
}
