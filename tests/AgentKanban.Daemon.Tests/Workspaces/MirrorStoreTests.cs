using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Workspaces;

namespace AgentKanban.Daemon.Tests.Workspaces;

public sealed class MirrorStoreTests : IDisposable
{
    private readonly WorkspaceTestEnvironment _env = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task A_later_session_starts_from_new_upstream_commits_and_pruning_spares_session_branches()
    {
        var source = await _env.CreateSourceAsync();
        await _env.GitAsync(source, "branch", "feature");
        var first = await _env.Manager.CreateAsync("refresh-1", source, null, Ct);
        var firstWork = await _env.CommitFileAsync(first.Path, "first.txt", "first\n", "first session");

        var upstream = await _env.CommitFileAsync(source, "later.txt", "later\n", "upstream moves on");
        await _env.GitAsync(source, "branch", "-D", "feature");
        var second = await _env.Manager.CreateAsync("refresh-2", source, null, Ct);

        var mirror = second.MirrorPath!;
        Assert.Equal(upstream, await _env.GitAsync(second.Path, "rev-parse", "HEAD"));
        Assert.Equal(upstream, await _env.GitAsync(mirror, "rev-parse", "refs/remotes/origin/main"));
        Assert.NotEqual(0, await _env.GitExitCodeAsync(mirror, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/feature"));
        Assert.Equal(firstWork, await _env.GitAsync(mirror, "rev-parse", "refs/heads/" + first.Branch));
    }

    [Fact]
    public async Task The_default_branch_is_the_upstream_head_whatever_its_name()
    {
        var source = await _env.CreateSourceAsync();
        await _env.GitAsync(source, "checkout", "--quiet", "-b", "trunk");
        var trunk = await _env.CommitFileAsync(source, "trunk.txt", "trunk\n", "on trunk");

        var mirror = await _env.Mirrors.PrepareAsync(source, Ct);
        var workspace = await _env.Manager.CreateAsync("trunk-1", source, null, Ct);

        Assert.Equal("refs/remotes/origin/trunk", mirror.DefaultBranchRef);
        Assert.Equal(trunk, await _env.GitAsync(workspace.Path, "rev-parse", "HEAD"));
    }

    [Fact]
    public async Task An_unfinished_clone_left_by_a_crash_is_removed_and_the_clone_redone()
    {
        var source = await _env.CreateSourceAsync();
        var target = _env.Mirrors.PathFor(source);
        var leftover = target + ".tmp-deadbeef";
        Directory.CreateDirectory(Path.Combine(leftover, "objects"));
        await File.WriteAllTextAsync(Path.Combine(leftover, "HEAD"), "garbage", Ct);

        var mirror = await _env.Mirrors.PrepareAsync(source, Ct);

        Assert.Equal(target, mirror.Path);
        Assert.False(Directory.Exists(leftover));
        Assert.Equal("true", await _env.GitAsync(mirror.Path, "rev-parse", "--is-bare-repository"));
        Assert.Equal("hello", await _env.GitAsync(mirror.Path, "show", "refs/remotes/origin/main:README.md"));
        Assert.Equal([target], Directory.EnumerateDirectories(_env.Layout.Repos));
    }

    [Fact]
    public async Task A_repository_that_does_not_exist_is_a_typed_error_carrying_gits_message()
    {
        var missing = Path.Combine(_env.Root, "no-such-repository");

        var error = await Assert.ThrowsAsync<WorkspaceException>(() => _env.Manager.CreateAsync("missing-1", missing, null, Ct));

        Assert.Equal(WorkspaceError.RepositoryUnavailable, error.Error);
        Assert.NotNull(error.Git);
        Assert.NotEqual(0, error.Git.ExitCode);
        Assert.Contains("does not appear to be a git repository", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_env.Layout.Repos));
        Assert.False(await _env.Manager.ExistsAsync("missing-1", Ct));
    }

    [Fact]
    public async Task A_server_asking_for_credentials_fails_at_once_instead_of_prompting()
    {
        await using var server = new LoopbackHttpServer(hang: false);

        var error = await Assert.ThrowsAsync<WorkspaceException>(
            () => _env.Manager.CreateAsync("auth-1", server.Url("repo.git"), null, Ct));

        Assert.Equal(WorkspaceError.RepositoryUnavailable, error.Error);
        Assert.Contains("terminal prompts disabled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_in_a_repository_url_never_reach_an_error_message()
    {
        await using var server = new LoopbackHttpServer(hang: false);

        var error = await Assert.ThrowsAsync<WorkspaceException>(
            () => _env.Manager.CreateAsync("auth-2", server.UrlWithCredentials("robot", "s3cr3t-token", "repo.git"), null, Ct));

        Assert.Equal(WorkspaceError.RepositoryUnavailable, error.Error);
        Assert.Contains("Authentication failed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-token", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-token", error.Git!.Command, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_ref_lock_left_by_a_killed_fetch_is_cleared_but_a_fresh_one_is_respected()
    {
        var source = await _env.CreateSourceAsync();
        var mirror = await _env.Mirrors.PrepareAsync(source, Ct);
        var upstream = await _env.CommitFileAsync(source, "next.txt", "next\n", "next");
        var lockFile = Path.Combine(mirror.Path, "refs", "remotes", "origin", "main.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        await File.WriteAllTextAsync(lockFile, "", Ct);

        var fresh = await Assert.ThrowsAsync<WorkspaceException>(() => _env.Mirrors.PrepareAsync(source, Ct));
        Assert.Equal(WorkspaceError.RepositoryUnavailable, fresh.Error);
        Assert.True(File.Exists(lockFile));

        File.SetLastWriteTimeUtc(lockFile, TimeProvider.System.GetUtcNow().UtcDateTime - _env.Options.StaleLockAge - TimeSpan.FromMinutes(1));
        await _env.Mirrors.PrepareAsync(source, Ct);

        Assert.False(File.Exists(lockFile));
        Assert.Equal(upstream, await _env.GitAsync(mirror.Path, "rev-parse", "refs/remotes/origin/main"));
    }

    [Fact]
    public async Task Pushing_from_a_worktree_sends_only_the_session_branch_upstream()
    {
        var source = await _env.CreateSourceAsync();
        var workspace = await _env.Manager.CreateAsync("push-1", source, null, Ct);
        var work = await _env.CommitFileAsync(workspace.Path, "work.txt", "work\n", "agent work");

        await _env.GitAsync(workspace.Path, "push", "--quiet", "origin", "HEAD");

        Assert.Equal(work, await _env.GitAsync(source, "rev-parse", "refs/heads/" + workspace.Branch));
        Assert.Equal(
            ["refs/heads/" + workspace.Branch, "refs/heads/main"],
            (await _env.GitAsync(source, "for-each-ref", "--format=%(refname)", "refs/heads/")).Split('\n'));

        // The pushed branch comes back under refs/remotes/origin/ and does not collide with the session branch.
        await _env.Mirrors.PrepareAsync(source, Ct);
        Assert.Equal(work, await _env.GitAsync(workspace.MirrorPath!, "rev-parse", "refs/remotes/origin/" + workspace.Branch));
    }

    [Fact]
    public async Task An_empty_repository_is_reported_as_such()
    {
        var empty = Path.Combine(_env.Root, "empty");
        Directory.CreateDirectory(empty);
        await _env.GitAsync(empty, "init", "--quiet", "--initial-branch=main");

        var error = await Assert.ThrowsAsync<WorkspaceException>(() => _env.Manager.CreateAsync("empty-1", empty, null, Ct));

        Assert.Equal(WorkspaceError.EmptyRepository, error.Error);
    }

    [Theory]
    [InlineData("https://github.com/org/repo.git", "https://github.com/org/repo")]
    [InlineData("https://x-access-token:abc@github.com/org/repo.git", "https://github.com/org/repo/")]
    [InlineData("ssh://git@example.com/org/repo.git", "ssh://example.com/org/repo")]
    public void Credentials_a_trailing_slash_and_dot_git_do_not_change_the_mirror(string one, string other)
    {
        Assert.Equal(GitUrl.MirrorKey(one), GitUrl.MirrorKey(other));
    }

    [Fact]
    public void Local_paths_are_made_absolute_and_remote_urls_are_kept()
    {
        Assert.Equal(Path.GetFullPath("repo"), GitUrl.Normalize("repo/"));
        Assert.Equal(GitUrl.MirrorKey(Path.GetFullPath("repo")), GitUrl.MirrorKey("./repo"));
        Assert.Equal("git@github.com:org/repo.git", GitUrl.Normalize("git@github.com:org/repo.git"));
        Assert.False(GitUrl.IsLocalPath("git@github.com:org/repo.git"));
        Assert.True(GitUrl.IsLocalPath("/srv/git/repo"));
        Assert.True(GitUrl.IsLocalPath("./dir:with/colon"));
        Assert.NotEqual(GitUrl.MirrorKey("/srv/a"), GitUrl.MirrorKey("/srv/b"));
        Assert.Throws<ArgumentException>(() => GitUrl.Normalize("--upload-pack=touch /tmp/x"));
    }

    [Fact]
    public void Redaction_removes_every_credential_from_a_text()
    {
        Assert.Equal(
            "fetch https://***@host/a and http://***@other/b",
            GitUrl.Redact("fetch https://user:pw@host/a and http://token@other/b"));
    }
}
