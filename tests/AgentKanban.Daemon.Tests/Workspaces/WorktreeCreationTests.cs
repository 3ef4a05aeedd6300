using System.Runtime.Versioning;
using AgentKanban.Daemon.Workspaces;

namespace AgentKanban.Daemon.Tests.Workspaces;

[UnsupportedOSPlatform("windows")]
public sealed class WorktreeCreationTests : IDisposable
{
    private readonly WorkspaceTestEnvironment _env = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task Creates_a_worktree_on_the_session_branch_whose_commits_land_in_the_mirror()
    {
        var source = await _env.CreateSourceAsync();
        var sessionId = WorkspaceTestEnvironment.NewSessionId();

        var workspace = await _env.Manager.CreateAsync(sessionId, source, null, Ct);

        Assert.Equal(WorkspaceKind.Worktree, workspace.Kind);
        Assert.Equal(Path.Combine(_env.Layout.Worktrees, sessionId), workspace.Path);
        Assert.Equal("ak/" + sessionId[..8], workspace.Branch);
        Assert.False(workspace.Reused);
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(workspace.Path, "README.md"), Ct));
        Assert.Equal(workspace.Branch, await _env.GitAsync(workspace.Path, "rev-parse", "--abbrev-ref", "HEAD"));

        var commit = await _env.CommitFileAsync(workspace.Path, "work.txt", "done\n", "agent work");

        var mirror = workspace.MirrorPath!;
        Assert.Equal(commit, await _env.GitAsync(mirror, "rev-parse", "refs/heads/" + workspace.Branch));
        Assert.Equal("done", await _env.GitAsync(mirror, "show", workspace.Branch + ":work.txt"));
        Assert.True(await _env.Manager.ExistsAsync(sessionId, Ct));
    }

    [Fact]
    public async Task A_plain_git_push_in_the_worktree_publishes_the_session_branch_to_a_bare_origin()
    {
        // The origin is a bare repository, as on a server (a push into a checked-out branch would be refused anyway).
        var source = await _env.CreateSourceAsync();
        var origin = Path.Combine(_env.Root, "origin.git");
        await _env.GitAsync(_env.Root, "clone", "--quiet", "--bare", source, origin);
        var workspace = await _env.Manager.CreateAsync(WorkspaceTestEnvironment.NewSessionId(), origin, null, Ct);

        // The branch tracks the same name on origin: a plain push works, and status knows the upstream.
        Assert.Equal("origin", await _env.GitAsync(workspace.Path, "config", "--get", $"branch.{workspace.Branch}.remote"));
        Assert.Equal("refs/heads/" + workspace.Branch, await _env.GitAsync(workspace.Path, "config", "--get", $"branch.{workspace.Branch}.merge"));
        var commit = await _env.CommitFileAsync(workspace.Path, "work.txt", "done\n", "agent work");
        await _env.GitAsync(workspace.Path, "push", "--quiet");
        Assert.Equal(commit, await _env.GitAsync(origin, "rev-parse", "refs/heads/" + workspace.Branch));
        Assert.Equal("origin/" + workspace.Branch, await _env.GitAsync(workspace.Path, "rev-parse", "--abbrev-ref", "@{upstream}"));

        // A later commit goes the same way; `git push -u origin HEAD` works as well. Nothing else on origin changed.
        var second = await _env.CommitFileAsync(workspace.Path, "more.txt", "more\n", "more work");
        await _env.GitAsync(workspace.Path, "push", "--quiet", "-u", "origin", "HEAD");
        Assert.Equal(second, await _env.GitAsync(origin, "rev-parse", "refs/heads/" + workspace.Branch));
        Assert.Equal(await _env.GitAsync(source, "rev-parse", "main"), await _env.GitAsync(origin, "rev-parse", "refs/heads/main"));
    }

    [Fact]
    public async Task Accepts_a_file_url_and_shares_nothing_with_the_plain_path_mirror_but_the_content()
    {
        var source = await _env.CreateSourceAsync();

        var viaUrl = await _env.Manager.CreateAsync("s-url-0001", "file://" + source, null, Ct);
        var viaPath = await _env.Manager.CreateAsync("s-path-0001", source, null, Ct);

        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(viaUrl.Path, "README.md"), Ct));
        Assert.Equal(
            await _env.GitAsync(viaPath.Path, "rev-parse", "HEAD"),
            await _env.GitAsync(viaUrl.Path, "rev-parse", "HEAD"));
    }

    [Fact]
    public async Task Creating_again_reuses_the_worktree_and_keeps_uncommitted_work()
    {
        var source = await _env.CreateSourceAsync();
        var sessionId = WorkspaceTestEnvironment.NewSessionId();
        var first = await _env.Manager.CreateAsync(sessionId, source, null, Ct);
        await File.WriteAllTextAsync(Path.Combine(first.Path, "README.md"), "edited\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(first.Path, "new.txt"), "untracked\n", Ct);
        await _env.GitAsync(first.Path, "add", "new.txt");

        var again = await _env.Manager.CreateAsync(sessionId, source, null, Ct);

        Assert.True(again.Reused);
        Assert.Equal(first.Path, again.Path);
        Assert.Equal(first.Branch, again.Branch);
        Assert.Equal("edited\n", await File.ReadAllTextAsync(Path.Combine(again.Path, "README.md"), Ct));
        Assert.Equal("untracked\n", await File.ReadAllTextAsync(Path.Combine(again.Path, "new.txt"), Ct));
        Assert.Equal([" M README.md", "A  new.txt"], (await _env.GitAsync(again.Path, "status", "--porcelain")).Split('\n').Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Reusing_a_worktree_does_not_need_the_repository_to_be_reachable()
    {
        var source = await _env.CreateSourceAsync();
        var sessionId = WorkspaceTestEnvironment.NewSessionId();
        var first = await _env.Manager.CreateAsync(sessionId, source, null, Ct);
        await File.WriteAllTextAsync(Path.Combine(first.Path, "draft.txt"), "draft\n", Ct);
        Directory.Delete(source, recursive: true);

        var again = await _env.Manager.CreateAsync(sessionId, source, null, Ct);

        Assert.True(again.Reused);
        Assert.Equal("draft\n", await File.ReadAllTextAsync(Path.Combine(again.Path, "draft.txt"), Ct));
        var error = await Assert.ThrowsAsync<WorkspaceException>(() => _env.Manager.CreateAsync("needs-fetch", source, null, Ct));
        Assert.Equal(WorkspaceError.RepositoryUnavailable, error.Error);
    }

    [Fact]
    public async Task Starts_from_a_given_base_branch_tag_or_commit_and_rejects_an_unknown_one()
    {
        var source = await _env.CreateSourceAsync();
        await _env.GitAsync(source, "checkout", "--quiet", "-b", "develop");
        var developTip = await _env.CommitFileAsync(source, "dev.txt", "dev\n", "on develop");
        await _env.GitAsync(source, "tag", "v1");
        await _env.GitAsync(source, "checkout", "--quiet", "main");
        var mainTip = await _env.GitAsync(source, "rev-parse", "HEAD");

        var fromDevelop = await _env.Manager.CreateAsync("base-develop", source, "develop", Ct);
        var fromTag = await _env.Manager.CreateAsync("base-tag", source, "v1", Ct);
        var fromCommit = await _env.Manager.CreateAsync("base-commit", source, mainTip, Ct);
        var fromDefault = await _env.Manager.CreateAsync("base-default", source, null, Ct);

        Assert.Equal(developTip, await _env.GitAsync(fromDevelop.Path, "rev-parse", "HEAD"));
        Assert.Equal(developTip, await _env.GitAsync(fromTag.Path, "rev-parse", "HEAD"));
        Assert.Equal(mainTip, await _env.GitAsync(fromCommit.Path, "rev-parse", "HEAD"));
        Assert.Equal(mainTip, await _env.GitAsync(fromDefault.Path, "rev-parse", "HEAD"));

        var error = await Assert.ThrowsAsync<WorkspaceException>(() => _env.Manager.CreateAsync("base-missing", source, "no-such-branch", Ct));
        Assert.Equal(WorkspaceError.BaseNotFound, error.Error);
        Assert.False(await _env.Manager.ExistsAsync("base-missing", Ct));
    }

    [Fact]
    public async Task Eight_concurrent_sessions_on_one_repository_all_get_their_own_worktree()
    {
        var source = await _env.CreateSourceAsync();
        var sessions = Enumerable.Range(0, 8).Select(_ => WorkspaceTestEnvironment.NewSessionId()).ToList();

        var workspaces = await Task.WhenAll(sessions.Select(id => _env.Manager.CreateAsync(id, source, null, Ct)));

        Assert.Equal(8, workspaces.Select(w => w.Path).Distinct().Count());
        Assert.Equal(8, workspaces.Select(w => w.Branch).Distinct().Count());
        Assert.Single(workspaces.Select(w => w.MirrorPath).Distinct());
        foreach (var workspace in workspaces)
        {
            Assert.True(File.Exists(Path.Combine(workspace.Path, "README.md")));
        }

        var listed = await _env.Manager.ListAsync(Ct);
        Assert.Equal(sessions.Order(StringComparer.Ordinal), listed.Select(e => e.SessionId));
        Assert.All(listed, e => Assert.Equal(WorkspaceKind.Worktree, e.Kind));
    }

    [Fact]
    public async Task Sessions_whose_ids_share_a_prefix_get_distinct_branches()
    {
        var source = await _env.CreateSourceAsync();

        var first = await _env.Manager.CreateAsync("abcdef01-1111-4000-8000-000000000001", source, null, Ct);
        var second = await _env.Manager.CreateAsync("abcdef01-2222-4000-8000-000000000002", source, null, Ct);

        Assert.Equal("ak/abcdef01", first.Branch);
        Assert.Equal("ak/abcdef01-222", second.Branch);
    }

    [Fact]
    public async Task An_interrupted_creation_is_discarded_and_made_again_on_the_same_branch()
    {
        var source = await _env.CreateSourceAsync();
        var sessionId = WorkspaceTestEnvironment.NewSessionId();
        var made = await _env.Manager.CreateAsync(sessionId, source, null, Ct);

        // What a kill -9 inside "git worktree add" leaves: the creation lock still on the record, a partial checkout.
        await _env.GitAsync(made.MirrorPath!, "worktree", "lock", "--reason", WorktreeRegistrations.CreatingLockReason, made.Path);
        File.Delete(Path.Combine(made.Path, "README.md"));

        var again = await _env.Manager.CreateAsync(sessionId, source, null, Ct);

        Assert.False(again.Reused);
        Assert.Equal(made.Branch, again.Branch);
        Assert.True(File.Exists(Path.Combine(again.Path, "README.md")));
        Assert.DoesNotContain("locked", await _env.GitAsync(made.MirrorPath!, "worktree", "list", "--porcelain"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_that_is_not_a_worktree_is_left_untouched()
    {
        var source = await _env.CreateSourceAsync();
        var path = _env.Layout.WorktreePath("occupied-1");
        Directory.CreateDirectory(path);
        await File.WriteAllTextAsync(Path.Combine(path, "precious.txt"), "keep\n", Ct);

        var error = await Assert.ThrowsAsync<WorkspaceException>(() => _env.Manager.CreateAsync("occupied-1", source, null, Ct));

        Assert.Equal(WorkspaceError.Conflict, error.Error);
        Assert.Equal("keep\n", await File.ReadAllTextAsync(Path.Combine(path, "precious.txt"), Ct));
    }

    [Fact]
    public async Task An_ops_workspace_is_a_private_directory()
    {
        var workspace = await _env.Manager.CreateAsync("ops-session-1", null, null, Ct);

        Assert.Equal(WorkspaceKind.Ops, workspace.Kind);
        Assert.Equal(Path.Combine(_env.Layout.OpsWorkspaces, "ops-session-1"), workspace.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(workspace.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_env.Layout.Root));
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "notes.txt"), "ops\n", Ct);

        var again = await _env.Manager.CreateAsync("ops-session-1", null, null, Ct);
        Assert.True(again.Reused);
        Assert.True(File.Exists(Path.Combine(again.Path, "notes.txt")));
        Assert.Equal([new WorkspaceEntry("ops-session-1", WorkspaceKind.Ops, workspace.Path)], await _env.Manager.ListAsync(Ct));

        var removal = await _env.Manager.RemoveAsync("ops-session-1", Ct);
        Assert.True(removal.Found);
        Assert.False(await _env.Manager.ExistsAsync("ops-session-1", Ct));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_env.Layout.Trash));
    }

    [Fact]
    public async Task Session_ids_that_could_escape_the_state_directory_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _env.Manager.CreateAsync("../escape", null, null, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _env.Manager.RemoveAsync("-rf", Ct));
    }
}
