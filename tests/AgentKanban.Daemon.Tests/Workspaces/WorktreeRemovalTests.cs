using System.Runtime.Versioning;
using AgentKanban.Daemon.Workspaces;

namespace AgentKanban.Daemon.Tests.Workspaces;

[UnsupportedOSPlatform("windows")]
public sealed class WorktreeRemovalTests : IDisposable
{
    private readonly WorkspaceTestEnvironment _env = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task Removal_saves_uncommitted_and_untracked_work_to_a_wip_ref_and_keeps_the_branch()
    {
        var (sessionId, workspace) = await CreateAsync();
        var committed = await _env.CommitFileAsync(workspace.Path, "committed.txt", "kept on branch\n", "agent commit");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "README.md"), "changed, not staged\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "staged.txt"), "staged\n", Ct);
        await _env.GitAsync(workspace.Path, "add", "staged.txt");
        Directory.CreateDirectory(Path.Combine(workspace.Path, "notes"));
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "notes", "untracked.txt"), "untracked\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, ".gitignore"), "*.log\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "build.log"), "ignored\n", Ct);

        var removal = await _env.Manager.RemoveAsync(sessionId, Ct);

        var mirror = workspace.MirrorPath!;
        Assert.True(removal.Found);
        Assert.Equal("refs/wip/" + sessionId, removal.WipRef);
        Assert.Equal(workspace.Branch, removal.Branch);
        Assert.Equal(removal.WipCommit, await _env.GitAsync(mirror, "rev-parse", removal.WipRef!));
        Assert.Equal(committed, await _env.GitAsync(mirror, "rev-parse", removal.WipRef + "^"));
        Assert.Equal("changed, not staged", await _env.GitAsync(mirror, "show", removal.WipRef + ":README.md"));
        Assert.Equal("staged", await _env.GitAsync(mirror, "show", removal.WipRef + ":staged.txt"));
        Assert.Equal("untracked", await _env.GitAsync(mirror, "show", removal.WipRef + ":notes/untracked.txt"));
        Assert.NotEqual(0, await _env.GitExitCodeAsync(mirror, "cat-file", "-e", removal.WipRef + ":build.log"));

        // The branch keeps exactly what the agent committed; the snapshot did not move it.
        Assert.Equal(committed, await _env.GitAsync(mirror, "rev-parse", "refs/heads/" + workspace.Branch));
        Assert.False(Directory.Exists(workspace.Path));
        Assert.False(await _env.Manager.ExistsAsync(sessionId, Ct));
        Assert.DoesNotContain(workspace.Path, await _env.GitAsync(mirror, "worktree", "list", "--porcelain"), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_env.Layout.Trash));
    }

    [Fact]
    public async Task The_snapshot_leaves_the_worktree_index_alone()
    {
        var (sessionId, workspace) = await CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "staged.txt"), "staged\n", Ct);
        await _env.GitAsync(workspace.Path, "add", "staged.txt");
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "loose.txt"), "loose\n", Ct);
        var statusBefore = await _env.GitAsync(workspace.Path, "status", "--porcelain");

        var registration = WorktreeRegistrations.FindInMirror(workspace.MirrorPath!, workspace.Path)!;
        var snapshot = await new WipSaver(_env.Git, _env.Options).SaveAsync(registration, workspace.Path, sessionId, Ct);

        Assert.NotNull(snapshot);
        Assert.Equal(statusBefore, await _env.GitAsync(workspace.Path, "status", "--porcelain"));
        Assert.Equal("loose", await _env.GitAsync(workspace.MirrorPath!, "show", snapshot.Ref + ":loose.txt"));
    }

    [Fact]
    public async Task A_clean_worktree_needs_no_snapshot_and_its_branch_survives()
    {
        var (sessionId, workspace) = await CreateAsync();
        var committed = await _env.CommitFileAsync(workspace.Path, "work.txt", "work\n", "agent commit");

        var removal = await _env.Manager.RemoveAsync(sessionId, Ct);

        Assert.True(removal.Found);
        Assert.Null(removal.WipRef);
        Assert.NotEqual(0, await _env.GitExitCodeAsync(workspace.MirrorPath!, "rev-parse", "--verify", "--quiet", "refs/wip/" + sessionId));
        Assert.Equal(committed, await _env.GitAsync(workspace.MirrorPath!, "rev-parse", "refs/heads/" + workspace.Branch));
    }

    [Fact]
    public async Task Removal_converges_when_the_directory_was_already_deleted()
    {
        var (sessionId, workspace) = await CreateAsync();
        var committed = await _env.CommitFileAsync(workspace.Path, "work.txt", "work\n", "agent commit");
        Directory.Delete(workspace.Path, recursive: true);

        var removal = await _env.Manager.RemoveAsync(sessionId, Ct);
        var again = await _env.Manager.RemoveAsync(sessionId, Ct);

        Assert.True(removal.Found);
        Assert.Equal(workspace.MirrorPath, removal.MirrorPath);
        Assert.False(again.Found);
        Assert.DoesNotContain(workspace.Path, await _env.GitAsync(workspace.MirrorPath!, "worktree", "list", "--porcelain"), StringComparison.Ordinal);
        Assert.Equal(committed, await _env.GitAsync(workspace.MirrorPath!, "rev-parse", "refs/heads/" + workspace.Branch));
    }

    [Fact]
    public async Task Removal_converges_after_a_crash_between_the_move_to_trash_and_the_prune()
    {
        var (sessionId, workspace) = await CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "draft.txt"), "draft\n", Ct);
        var registration = WorktreeRegistrations.FindInMirror(workspace.MirrorPath!, workspace.Path)!;
        var snapshot = await new WipSaver(_env.Git, _env.Options).SaveAsync(registration, workspace.Path, sessionId, Ct);
        var trashed = SafeDirectories.MoveAside(workspace.Path, _env.Layout.Trash);
        Assert.NotNull(trashed);

        var removal = await _env.Manager.RemoveAsync(sessionId, Ct);
        var sweep = await _env.Manager.SweepAsync(Ct);

        Assert.True(removal.Found);
        Assert.Null(removal.WipRef);
        Assert.Equal(1, sweep.TrashEntriesDeleted);
        Assert.False(Directory.Exists(trashed));
        Assert.Equal(snapshot!.Commit, await _env.GitAsync(workspace.MirrorPath!, "rev-parse", "refs/wip/" + sessionId));
        Assert.DoesNotContain(workspace.Path, await _env.GitAsync(workspace.MirrorPath!, "worktree", "list", "--porcelain"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Work_is_saved_even_when_the_agent_deleted_the_git_link()
    {
        var (sessionId, workspace) = await CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "orphan.txt"), "still saved\n", Ct);
        File.Delete(Path.Combine(workspace.Path, ".git"));

        var removal = await _env.Manager.RemoveAsync(sessionId, Ct);

        Assert.Equal("refs/wip/" + sessionId, removal.WipRef);
        Assert.Equal("still saved", await _env.GitAsync(workspace.MirrorPath!, "show", removal.WipRef + ":orphan.txt"));
        Assert.False(Directory.Exists(workspace.Path));
    }

    [Fact]
    public async Task Commits_on_a_detached_head_stay_reachable_through_the_wip_ref()
    {
        var (sessionId, workspace) = await CreateAsync();
        await _env.GitAsync(workspace.Path, "checkout", "--quiet", "--detach");
        var detached = await _env.CommitFileAsync(workspace.Path, "detached.txt", "detached\n", "detached commit");

        var removal = await _env.Manager.RemoveAsync(sessionId, Ct);

        Assert.NotNull(removal.WipRef);
        Assert.Equal(detached, await _env.GitAsync(workspace.MirrorPath!, "rev-parse", removal.WipRef + "^"));
    }

    [Fact]
    public async Task Creating_after_removal_checks_out_the_sessions_branch_with_its_commits()
    {
        var (sessionId, workspace) = await CreateAsync();
        var committed = await _env.CommitFileAsync(workspace.Path, "work.txt", "work\n", "agent commit");
        await _env.Manager.RemoveAsync(sessionId, Ct);

        var again = await _env.Manager.CreateAsync(sessionId, Path.Combine(_env.Root, "source"), null, Ct);

        Assert.Equal(workspace.Branch, again.Branch);
        Assert.Equal(committed, await _env.GitAsync(again.Path, "rev-parse", "HEAD"));
    }

    [Fact]
    public async Task A_directory_no_mirror_knows_is_kept_in_lost_and_found_rather_than_deleted()
    {
        var path = _env.Layout.WorktreePath("stray-1");
        Directory.CreateDirectory(path);
        await File.WriteAllTextAsync(Path.Combine(path, "unknown.txt"), "unknown\n", Ct);
        var empty = _env.Layout.WorktreePath("stray-2");
        Directory.CreateDirectory(empty);

        var kept = await _env.Manager.RemoveAsync("stray-1", Ct);
        var dropped = await _env.Manager.RemoveAsync("stray-2", Ct);

        Assert.NotNull(kept.LostAndFoundPath);
        Assert.Equal("unknown\n", await File.ReadAllTextAsync(Path.Combine(kept.LostAndFoundPath, "unknown.txt"), Ct));
        Assert.True(dropped.Found);
        Assert.Null(dropped.LostAndFoundPath);
        Assert.Empty(await _env.Manager.ListAsync(Ct));
    }

    [Fact]
    public async Task Read_only_directories_left_by_an_agent_do_not_stop_removal()
    {
        var (sessionId, workspace) = await CreateAsync();
        var locked = Path.Combine(workspace.Path, "locked");
        Directory.CreateDirectory(locked);
        await File.WriteAllTextAsync(Path.Combine(locked, "inside.txt"), "inside\n", Ct);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var removal = await _env.Manager.RemoveAsync(sessionId, Ct);

        Assert.Equal("inside", await _env.GitAsync(workspace.MirrorPath!, "show", removal.WipRef + ":locked/inside.txt"));
        Assert.False(Directory.Exists(workspace.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_env.Layout.Trash));
    }

    [Fact]
    public async Task Removal_deletes_symbolic_links_not_what_they_point_to()
    {
        var (sessionId, workspace) = await CreateAsync();
        var outside = Path.Combine(_env.Root, "outside");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "precious.txt"), "precious\n", Ct);
        Directory.CreateSymbolicLink(Path.Combine(workspace.Path, "link-to-outside"), outside);

        await _env.Manager.RemoveAsync(sessionId, Ct);

        Assert.False(Directory.Exists(workspace.Path));
        Assert.Equal("precious\n", await File.ReadAllTextAsync(Path.Combine(outside, "precious.txt"), Ct));
    }

    private async Task<(string SessionId, Workspace Workspace)> CreateAsync()
    {
        var source = Directory.Exists(Path.Combine(_env.Root, "source")) ? Path.Combine(_env.Root, "source") : await _env.CreateSourceAsync();
        var sessionId = WorkspaceTestEnvironment.NewSessionId();
        return (sessionId, await _env.Manager.CreateAsync(sessionId, source, null, Ct));
    }
}
