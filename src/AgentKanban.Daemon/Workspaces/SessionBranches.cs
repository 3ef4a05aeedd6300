using AgentKanban.Daemon.Git;

namespace AgentKanban.Daemon.Workspaces;

/// <summary>
/// Picks the session's branch name in a mirror. The name is "ak/&lt;first 8 chars&gt;"; because session
/// branches are kept forever, two sessions may one day share a prefix, so each name records its owner
/// (config "branch.&lt;name&gt;.aksession") and a taken name makes way for a longer one.
/// </summary>
internal sealed class SessionBranches(GitRunner git)
{
    public async Task<SessionBranch> ClaimAsync(string mirrorPath, string sessionId, CancellationToken ct)
    {
        foreach (var name in SessionIds.BranchCandidates(sessionId))
        {
            var ownerKey = $"branch.{name}.aksession";
            var owner = await git.TryRunAsync(new GitInvocation(mirrorPath, ["config", "--get", ownerKey]), ct);
            var exists = await git.TryRunAsync(
                new GitInvocation(mirrorPath, ["rev-parse", "--verify", "--quiet", $"refs/heads/{name}^{{commit}}"]),
                ct);
            if (owner.Succeeded && owner.Trimmed == sessionId)
            {
                return new SessionBranch(name, exists.Succeeded);
            }

            if (!owner.Succeeded && !exists.Succeeded)
            {
                // Crash point: the name is claimed before the branch exists; a retry finds it claimed by this
                // session and goes on to create the branch.
                await git.RunAsync(mirrorPath, ["config", ownerKey, sessionId], ct);
                return new SessionBranch(name, false);
            }
        }

        throw new WorkspaceException(
            WorkspaceError.Conflict,
            $"Every branch name for session {sessionId} is taken by another session in {mirrorPath}.");
    }
}
