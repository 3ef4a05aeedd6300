using AgentKanban.Daemon.Review;
using AgentKanban.Daemon.Tests.Workspaces;

namespace AgentKanban.Daemon.Tests.Review;

/// <summary>
/// When a session branch counts as merged, on real repositories: a source repository, its mirror and a session worktree
/// made by the <c>WorkspaceManager</c>, and merges made with git in the source.
/// </summary>
public sealed class BranchMergesTests : IDisposable
{
    private readonly WorkspaceTestEnvironment _env = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task A_branch_without_work_of_its_own_is_never_merged_even_though_main_contains_its_tip()
    {
        var source = await _env.CreateSourceAsync();
        var workspace = await _env.Manager.CreateAsync(WorkspaceTestEnvironment.NewSessionId(), source, null, Ct);
        await _env.CommitFileAsync(source, "other.txt", "someone else's work\n", "unrelated");
        var branches = new BranchMerges(_env.Git, _env.Mirrors, _env.Options);

        var check = await branches.CheckAsync(await branches.FetchAsync(source, Ct), workspace.Branch!, null, Ct);

        Assert.False(check.Merged, check.Detail);
        Assert.Equal(await _env.GitAsync(source, "rev-parse", "HEAD~1"), check.BaseCommit);
    }

    [Theory]
    [InlineData("--no-ff")]
    [InlineData("--ff-only")]
    public async Task A_branch_whose_commits_reached_main_is_merged_and_not_before(string mergeMode)
    {
        var source = await _env.CreateSourceAsync();
        var workspace = await _env.Manager.CreateAsync(WorkspaceTestEnvironment.NewSessionId(), source, null, Ct);
        await _env.CommitFileAsync(workspace.Path, "feature.txt", "the feature\n", "agent work");
        var branches = new BranchMerges(_env.Git, _env.Mirrors, _env.Options);

        var before = await branches.CheckAsync(await branches.FetchAsync(source, Ct), workspace.Branch!, null, Ct);
        Assert.False(before.Merged, before.Detail);
        Assert.NotNull(before.BaseCommit);

        // The reviewer takes the branch from the mirror (the agent never pushed) and merges it into main.
        await _env.GitAsync(source, "fetch", "--quiet", workspace.MirrorPath!, $"refs/heads/{workspace.Branch}:refs/heads/review");
        await _env.GitAsync(source, "merge", "--quiet", mergeMode, "--no-gpg-sign", "-m", "merge", "review");

        var after = await branches.CheckAsync(await branches.FetchAsync(source, Ct), workspace.Branch!, before.BaseCommit, Ct);
        Assert.True(after.Merged, after.Detail);
        Assert.Contains("merged into main", after.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void GitHub_pull_request_urls_and_gh_answers_are_recognised()
    {
        Assert.True(GitHubPulls.IsPullRequestUrl("https://github.com/acme/widgets/pull/12"));
        Assert.True(GitHubPulls.IsPullRequestUrl("https://github.example.com/acme/widgets/pull/12/"));
        Assert.False(GitHubPulls.IsPullRequestUrl("https://github.com/acme/widgets/issues/12"));
        Assert.False(GitHubPulls.IsPullRequestUrl("/srv/git/widgets.git"));
        Assert.False(GitHubPulls.IsPullRequestUrl(null));

        Assert.Equal(PullState.Merged, GitHubPulls.Parse("""{"closed":true,"mergedAt":"2025-01-02T03:04:05Z","state":"MERGED"}""").State);
        Assert.Equal(PullState.Closed, GitHubPulls.Parse("""{"closed":true,"mergedAt":null,"state":"CLOSED"}""").State);
        Assert.Equal(PullState.Open, GitHubPulls.Parse("""{"closed":false,"mergedAt":null,"state":"OPEN"}""").State);
        Assert.True(GitHubPulls.Parse("not json").Failed);

        Assert.True(GitHubPulls.IsRateLimit("GraphQL: API rate limit exceeded for user ID 1234."));
        Assert.True(GitHubPulls.IsRateLimit("HTTP 403: You have exceeded a secondary rate limit."));
        Assert.False(GitHubPulls.IsRateLimit("GraphQL: Could not resolve to a PullRequest with the number of 12."));
    }
}
