namespace AgentKanban.Daemon.Workspaces;

public sealed partial class WorkspaceManager
{
    /// <summary>
    /// Finishes what crashes left behind: deletes trash (directories whose removal was cut short), unfinished
    /// mirror clones, and records of worktrees whose directories are gone. Meant for the start-up recovery pass.
    /// </summary>
    public async Task<WorkspaceSweep> SweepAsync(CancellationToken ct)
    {
        var trash = 0;
        foreach (var entry in Directory.EnumerateDirectories(_layout.Trash).ToList())
        {
            await SafeDirectories.DeleteTreeAsync(entry, ct);
            trash++;
        }

        var clones = 0;
        foreach (var (temp, mirror) in _mirrors.ListUnfinishedClones().ToList())
        {
            // Under the mirror's lock: a clone in progress in this process is not a leftover.
            using var mirrorLock = await _mirrors.LockAsync(mirror, ct);
            if (Directory.Exists(temp))
            {
                await SafeDirectories.DeleteTreeAsync(temp, ct);
                clones++;
            }
        }

        var mirrors = 0;
        foreach (var mirror in _mirrors.ListMirrorPaths().ToList())
        {
            using var mirrorLock = await _mirrors.LockAsync(mirror, ct);
            await Local(mirror, ["worktree", "prune"], ct);
            mirrors++;
        }

        WorkspaceLog.Swept(_logger, trash, clones, mirrors);
        return new WorkspaceSweep(trash, clones, mirrors);
    }
}
