using AgentKanban.Daemon.Git;

namespace AgentKanban.Daemon.Workspaces;

public sealed partial class WorkspaceManager
{
    /// <summary>
    /// Removes the session's workspace. For a worktree, uncommitted work is first saved to refs/wip/&lt;session
    /// id&gt; in the mirror and the session branch is kept there. Idempotent: safe to call again after a crash at
    /// any point, and for a session that has no workspace. Stop the session's agent before calling this.
    /// </summary>
    /// <exception cref="WorkspaceException">A git step failed; the worktree is left in place and a retry starts over.</exception>
    public async Task<WorkspaceRemoval> RemoveAsync(string sessionId, CancellationToken ct)
    {
        SessionIds.Validate(sessionId);
        try
        {
            var opsFound = await RemoveOpsAsync(sessionId, ct);
            var removal = await RemoveWorktreeAsync(sessionId, ct);
            return removal with { Found = removal.Found || opsFound };
        }
        catch (GitException e)
        {
            throw new WorkspaceException(WorkspaceError.GitFailed, e.Message, e);
        }
    }

    private async Task<bool> RemoveOpsAsync(string sessionId, CancellationToken ct)
    {
        var path = _layout.OpsPath(sessionId);

        // Renamed first, deleted second: a crash mid-delete leaves a partial tree in trash/ (swept later),
        // never a half-deleted workspace under the session's name.
        if (SafeDirectories.MoveAside(path, _layout.Trash) is not { } trashed)
        {
            return false;
        }

        await SafeDirectories.DeleteTreeAsync(trashed, ct);
        WorkspaceLog.Removed(_logger, sessionId, path);
        return true;
    }

    private async Task<WorkspaceRemoval> RemoveWorktreeAsync(string sessionId, CancellationToken ct)
    {
        var path = _layout.WorktreePath(sessionId);
        var found = WorktreeRegistrations.Find(_mirrors.ListMirrorPaths(), path);
        if (found is null)
        {
            return await RemoveUnregisteredAsync(sessionId, path, ct);
        }

        using var mirrorLock = await _mirrors.LockAsync(found.MirrorPath, ct);

        // Read again under the lock: a concurrent removal may have finished in the meantime.
        if (WorktreeRegistrations.FindInMirror(found.MirrorPath, path) is not { } registration)
        {
            return await RemoveUnregisteredAsync(sessionId, path, ct);
        }

        WipSnapshot? wip = null;
        if (!registration.BeingCreated && Directory.Exists(path))
        {
            // Crash point: nothing has changed yet when this step dies; a retry saves again from the same files.
            wip = await _wip.SaveAsync(registration, path, sessionId, ct);
            if (wip is not null)
            {
                WorkspaceLog.WipSaved(_logger, sessionId, wip.Ref, wip.Commit);
            }
        }

        // Crash point: the work is saved (the wip ref, the branch) and the directory is moved out of the way in
        // one rename. A retry finds the directory gone and only prunes the record; the trash copy is swept.
        var trashed = SafeDirectories.MoveAside(path, _layout.Trash);
        WorktreeRegistrations.ClearCreationLock(registration);

        // Crash point: after the prune the mirror no longer knows the worktree; only the trash copy may remain.
        await Local(found.MirrorPath, ["worktree", "prune"], ct);
        if (trashed is not null)
        {
            await SafeDirectories.DeleteTreeAsync(trashed, ct);
            WorkspaceLog.Removed(_logger, sessionId, path);
        }

        return new WorkspaceRemoval(sessionId, Found: true)
        {
            WipRef = wip?.Ref,
            WipCommit = wip?.Commit,
            Branch = registration.Branch,
            MirrorPath = found.MirrorPath,
        };
    }

    /// <summary>A directory no mirror knows about: leftovers of a crash before git registered it are deleted;
    /// anything with content is kept in lost+found rather than destroyed.</summary>
    private async Task<WorkspaceRemoval> RemoveUnregisteredAsync(string sessionId, string path, CancellationToken ct)
    {
        if (!Directory.Exists(path))
        {
            return new WorkspaceRemoval(sessionId, Found: false);
        }

        if (SafeDirectories.IsEmptyOrGitLinkOnly(path))
        {
            if (SafeDirectories.MoveAside(path, _layout.Trash) is { } trashed)
            {
                await SafeDirectories.DeleteTreeAsync(trashed, ct);
            }

            WorkspaceLog.Removed(_logger, sessionId, path);
            return new WorkspaceRemoval(sessionId, Found: true);
        }

        var kept = SafeDirectories.MoveAside(path, _layout.LostAndFound);
        if (kept is not null)
        {
            WorkspaceLog.MovedToLostAndFound(_logger, path, kept);
        }

        return new WorkspaceRemoval(sessionId, Found: kept is not null) { LostAndFoundPath = kept };
    }
}
