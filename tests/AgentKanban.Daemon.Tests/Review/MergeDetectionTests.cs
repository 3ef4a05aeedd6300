using System.Diagnostics;
using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.Daemon.Tests.Review;

/// <summary>
/// Merged work completes itself, for a plain git remote: the task's repository is a real bare repository, the agent pushes
/// its branch there and asks for review, and a person merges the branch into <c>main</c> with real git commands and
/// pushes. The daemon notices from its mirror, completes the task, closes the session and removes its worktree — also when
/// it was killed with SIGKILL while the task was in review and the merge happened while it was down.
/// </summary>
public sealed class MergeDetectionTests
{
    private static readonly string[] AgentPushesItsBranch =
        ["claim", "write feature.txt the feature", "commit", "push", "review", "result"];

    [Fact]
    public async Task A_branch_merged_into_main_completes_the_task_and_removes_the_worktree()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync(boardType: "dev");
        var (repository, bare) = await CreateBareRepositoryAsync(env);
        var task = await env.Server.CreateTaskAsync(env.Board.Id, "add the feature", env.Agent.Id,
            DaemonTestEnvironment.Description(AgentPushesItsBranch), repository.Id);
        var daemon = await env.StartInProcessAsync();

        await env.WaitForStatusAsync(task.Id, "in_review");
        var session = await Eventually.WaitAsync(async () =>
        {
            var s = await daemon.Sessions.FindOpenByTaskAsync(task.Id, CancellationToken.None);
            return s?.State == SessionState.InReview ? s : null;
        }, "the session to be in review");
        Assert.True(Directory.Exists(session.Workspace), "the worktree is there while the task is in review");

        // Pushed but not merged: checked (the branch's start is known by now), and left in review.
        var watched = await Eventually.WaitAsync(async () =>
            (await StoreReader.ReviewWatchesAsync(env.StateDir)).FirstOrDefault(w => w.TaskId == task.Id && w.BaseCommit is not null),
            "the task to be watched and its branch looked at");
        await Eventually.TrueAsync(async () =>
            (await StoreReader.ReviewWatchesAsync(env.StateDir)).Any(w => w.TaskId == task.Id && w.LastCheckedMs > watched.LastCheckedMs),
            "another check of the unmerged branch");
        Assert.Equal("in_review", (await env.Server.GetTaskAsync(task.Id)).Status);

        var pushed = await MergeAsync(env, bare, session.Branch!);
        var done = await env.WaitForStatusAsync(task.Id, "done");
        var detected = pushed.Elapsed;
        var completion = Assert.Single(done.Activity!, a => a.Action == "completed");
        Assert.Contains($"{session.Branch}", completion.Detail, StringComparison.Ordinal);
        Assert.Contains("merged into main", completion.Detail, StringComparison.Ordinal);

        await Eventually.TrueAsync(async () => (await daemon.Sessions.GetAsync(session.Id, CancellationToken.None))?.State == SessionState.Closed,
            "the session to be closed");
        var closed = pushed.Elapsed;
        Assert.False(Directory.Exists(session.Workspace), "the worktree is removed");
        await Eventually.TrueAsync(async () => (await StoreReader.ReviewWatchesAsync(env.StateDir)).All(w => w.TaskId != task.Id), "the task to be watched no more");
        Measurements.Report(
            $"merge pushed → task done (git poll every {env.Options().ReviewPollInterval.TotalMilliseconds:0} ms): {detected.TotalMilliseconds:0} ms; " +
            $"→ session closed + worktree removed: {closed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_daemon_killed_while_its_task_is_in_review_still_completes_it_after_a_merge_made_while_it_was_down()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync(boardType: "dev");
        var (repository, bare) = await CreateBareRepositoryAsync(env);
        var task = await env.Server.CreateTaskAsync(env.Board.Id, "add the feature", env.Agent.Id,
            DaemonTestEnvironment.Description(AgentPushesItsBranch), repository.Id);
        var first = env.StartProcess();

        await env.WaitForStatusAsync(task.Id, "in_review");
        await Eventually.TrueAsync(async () =>
            (await StoreReader.ReviewWatchesAsync(env.StateDir)).Any(w => w.TaskId == task.Id && w.LastCheckedMs is not null),
            "the task to be watched and checked once");
        var (workspace, branch) = (await StoreReader.WorkspaceAsync(env.StateDir, task.Id))!.Value;
        await first.KillHardAsync();

        await MergeAsync(env, bare, branch);
        Assert.Equal("in_review", (await env.Server.GetTaskAsync(task.Id)).Status);
        Assert.Contains(await StoreReader.ReviewWatchesAsync(env.StateDir), w => w.TaskId == task.Id);

        var second = env.StartProcess();
        await env.WaitForStatusAsync(task.Id, "done");
        await Eventually.TrueAsync(async () =>
            (await StoreReader.SessionsAsync(env.StateDir)).Any(s => s.TaskId == task.Id && s.ClosedAtMs is not null),
            "the session to be closed");
        Assert.False(Directory.Exists(workspace), "the worktree is removed");
        await Eventually.TrueAsync(async () => (await StoreReader.ReviewWatchesAsync(env.StateDir)).Count == 0, "the task to be watched no more");
        Assert.Single(env.InvocationsFor(task.Id)); // Never run again.
        Assert.False(second.HasExited, second.Output);
    }

    /// <summary>A bare repository with one commit on <c>main</c>, registered on the board by its path.</summary>
    internal static async Task<(RepositoryDto Repository, string Bare)> CreateBareRepositoryAsync(DaemonTestEnvironment env)
    {
        var bare = Path.Combine(env.Root, "origin.git");
        await GitAsync(env.Root, "init", "--quiet", "--bare", "--initial-branch=main", bare);
        var seed = Path.Combine(env.Root, "seed");
        await GitAsync(env.Root, "clone", "--quiet", bare, seed);
        await File.WriteAllTextAsync(Path.Combine(seed, "README.md"), "hello\n", TestContext.Current.CancellationToken);
        await GitAsync(seed, "add", "--all");
        await GitAsync(seed, "commit", "--quiet", "--no-gpg-sign", "-m", "initial");
        await GitAsync(seed, "push", "--quiet", "origin", "HEAD:main");
        return (await env.Server.CreateRepositoryAsync("repo-" + env.Marker[..6], bare), bare);
    }

    /// <summary>What a reviewer does: clone, merge the pushed task branch into main (a merge commit), push main.</summary>
    private static async Task<Stopwatch> MergeAsync(DaemonTestEnvironment env, string bare, string branch)
    {
        var reviewer = Path.Combine(env.Root, "reviewer-" + Guid.NewGuid().ToString("N")[..6]);
        await GitAsync(env.Root, "clone", "--quiet", bare, reviewer);
        await GitAsync(reviewer, "merge", "--quiet", "--no-ff", "--no-gpg-sign", "-m", "Merge " + branch, "origin/" + branch);
        await GitAsync(reviewer, "push", "--quiet", "origin", "main");
        return Stopwatch.StartNew();
    }

    private static readonly GitRunner Git = new(new GitRunnerOptions(), TimeProvider.System, NullLogger<GitRunner>.Instance);

    internal static async Task<string> GitAsync(string directory, params string[] arguments) =>
        (await Git.RunAsync(new GitInvocation(directory, arguments)
        {
            Environment = new Dictionary<string, string?>
            {
                ["GIT_AUTHOR_NAME"] = "Reviewer", ["GIT_AUTHOR_EMAIL"] = "reviewer@example.invalid",
                ["GIT_COMMITTER_NAME"] = "Reviewer", ["GIT_COMMITTER_EMAIL"] = "reviewer@example.invalid",
            },
        }, TestContext.Current.CancellationToken)).StandardOutput;
}
