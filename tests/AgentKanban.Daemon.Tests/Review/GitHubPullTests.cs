using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.Review;

/// <summary>
/// The GitHub half of the review monitor, with a fake <c>gh</c> first on the daemon's PATH (GitHub cannot be reached from
/// here; this script is the only stand-in). It answers <c>gh pr view URL --json state,mergedAt,closed</c> from a file per
/// pull request number (OPEN, MERGED, CLOSED, or RATELIMIT: gh's rate-limit message on stderr and exit 1) and logs each call.
/// </summary>
public sealed class GitHubPullTests
{
    private const string Repo = "https://github.com/acme/widgets/pull/";

    [Fact]
    public async Task A_merged_pull_request_completes_its_task_a_closed_one_cancels_and_an_open_one_stays_in_review()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var gh = FakeGh.Install(env);
        gh.Set(1, "OPEN");
        gh.Set(2, "CLOSED");
        gh.Set(3, "OPEN");
        var merged = await env.CreateTaskAsync("merged later", "claim", "review " + Repo + "1", "result");
        var closed = await env.CreateTaskAsync("closed unmerged", "claim", "review " + Repo + "2", "result");
        var open = await env.CreateTaskAsync("stays open", "claim", "review " + Repo + "3", "result");
        var daemon = await env.StartInProcessAsync();

        var cancelled = await WaitForStatusAsync(env, gh, closed.Id, "cancelled");
        Assert.Contains(cancelled.Activity!, a => a.Action == "cancelled" && a.Detail!.Contains(Repo + "2", StringComparison.Ordinal));

        // Asked more than once while open: still in review.
        await Eventually.TrueAsync(() => Task.FromResult(gh.Calls(1) >= 2), "the open pull request to be looked at twice");
        Assert.Equal("in_review", (await env.Server.GetTaskAsync(merged.Id)).Status);
        Assert.Contains($"pr view {Repo}1 --json state,mergedAt,closed", gh.Log());

        gh.Set(1, "MERGED");
        var done = await WaitForStatusAsync(env, gh, merged.Id, "done");
        Assert.Contains(done.Activity!, a => a.Action == "completed" && a.Detail!.Contains("merged", StringComparison.Ordinal));
        await Eventually.TrueAsync(async () => (await daemon.Sessions.ListByTaskAsync(merged.Id, CancellationToken.None)).All(s => s.State == SessionState.Closed),
            "the merged task's session to be closed");
        await Eventually.TrueAsync(async () => (await daemon.Sessions.ListByTaskAsync(closed.Id, CancellationToken.None)).All(s => s.State == SessionState.Closed),
            "the cancelled task's session to be closed");

        // The open one is still watched, still in review, with its session kept.
        await Eventually.TrueAsync(() => Task.FromResult(gh.Calls(3) >= 3), "the open pull request to be looked at again");
        Assert.Equal("in_review", (await env.Server.GetTaskAsync(open.Id)).Status);
        await Eventually.TrueAsync(async () => (await StoreReader.ReviewWatchesAsync(env.StateDir)).Select(w => w.TaskId).SequenceEqual([open.Id]),
            "only the open one to be watched");
        Assert.Equal(SessionState.InReview, (await daemon.Sessions.FindOpenByTaskAsync(open.Id, CancellationToken.None))?.State);
    }

    [Fact]
    public async Task A_rate_limited_gh_backs_off_per_task_with_growing_waits_and_the_merge_is_seen_afterwards()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var gh = FakeGh.Install(env);
        const int backoffMs = 400;
        env.ExtraEnvironment["AK_TEST_GH_BACKOFF_MS"] = backoffMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        gh.Set(7, "RATELIMIT");
        var task = await env.CreateTaskAsync("rate limited", "claim", "review " + Repo + "7", "result");
        await env.StartInProcessAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");

        var watch = await Eventually.WaitAsync(async () =>
            (await StoreReader.ReviewWatchesAsync(env.StateDir)).FirstOrDefault(w => w.TaskId == task.Id && w.Failures >= 3),
            "three refusals in a row");
        var callsAfter = gh.Calls(7);
        Assert.Contains("rate limited", watch.LastError, StringComparison.Ordinal);
        Assert.Contains("API rate limit exceeded", watch.LastError, StringComparison.Ordinal);

        // Each wait is the capped doubling of the backoff (jitter takes at most a fifth off), measured on the stored times;
        // and no call went out before its wait was over: one call per recorded refusal (one more may be under way now).
        var wait = watch.NextCheckMs - watch.LastCheckedMs!.Value;
        Assert.True(wait >= 0.8 * backoffMs * (1 << (watch.Failures - 1)), $"waited {wait} ms after refusal {watch.Failures}");
        Assert.InRange(callsAfter, watch.Failures, watch.Failures + 1);
        Assert.Equal("in_review", (await env.Server.GetTaskAsync(task.Id)).Status);

        gh.Set(7, "MERGED");
        await WaitForStatusAsync(env, gh, task.Id, "done");
        // The monitor stops watching once the server has completed the task: the row goes right after, not with it.
        await Eventually.TrueAsync(async () => (await StoreReader.ReviewWatchesAsync(env.StateDir)).Count == 0, "the task to be watched no more");
    }

    [Fact]
    public async Task A_webhook_finishes_the_task_at_once_and_the_daemon_closes_its_session_without_waiting_for_a_poll()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        env.ExtraEnvironment["AK_TEST_REVIEW_POLL_MS"] = "600000"; // The poll must not be what finishes it.
        var task = await env.CreateTaskAsync("merged on GitHub", "claim", "review " + Repo + "21", "result");
        var daemon = await env.StartInProcessAsync(env.Options());
        await env.WaitForStatusAsync(task.Id, "in_review");
        var session = await Eventually.WaitAsync(async () =>
        {
            var s = await daemon.Sessions.FindOpenByTaskAsync(task.Id, CancellationToken.None);
            return s?.State == SessionState.InReview ? s : null;
        }, "the session to be in review");

        var body = "{\"action\":\"closed\",\"pull_request\":{\"html_url\":\"" + Repo + "21\",\"merged\":true}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/github") { Content = new StringContent(body) };
        request.Headers.Add("X-GitHub-Event", "pull_request");
        var mac = System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(BoardServer.WebhookSecret), System.Text.Encoding.UTF8.GetBytes(body));
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(mac));
        using var client = new HttpClient { BaseAddress = new Uri(env.Server.BaseUrl + "/") };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var answered = clock.Elapsed;
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("done", (await env.Server.GetTaskAsync(task.Id)).Status);

        await Eventually.TrueAsync(async () => (await daemon.Sessions.GetAsync(session.Id, CancellationToken.None))?.State == SessionState.Closed,
            "the session to be closed");
        var closed = clock.Elapsed;
        Assert.False(Directory.Exists(session.Workspace), "the workspace is removed");
        Measurements.Report($"webhook delivered → task done: {answered.TotalMilliseconds:0} ms (the answer); → daemon closed the session: {closed.TotalMilliseconds:0} ms");
    }

    /// <summary>Waits for the task's status; on a timeout the message says what the monitor stored and what gh was asked.</summary>
    private static async Task<Contracts.TaskDto> WaitForStatusAsync(DaemonTestEnvironment env, FakeGh gh, string taskId, string status)
    {
        try
        {
            return await env.WaitForStatusAsync(taskId, status);
        }
        catch (TimeoutException e)
        {
            var watches = string.Join("; ", (await StoreReader.ReviewWatchesAsync(env.StateDir)).Select(w =>
                $"{w.TaskId}: failures {w.Failures}, next {w.NextCheckMs}, checked {w.LastCheckedMs}, error {w.LastError}"));
            var sessions = string.Join("; ", (await StoreReader.SessionsAsync(env.StateDir)).Select(s => $"{s.TaskId}: {s.State} {s.LastReason}"));
            throw new TimeoutException($"{e.Message}\nwatched: {watches}\nsessions: {sessions}\ngh calls:\n{string.Join('\n', gh.Log())}", e);
        }
    }

    /// <summary>The fake <c>gh</c>: a script in its own directory, put first on the daemon's PATH.</summary>
    private sealed class FakeGh
    {
        private readonly string _directory;

        private FakeGh(string directory) => _directory = directory;

        public static FakeGh Install(DaemonTestEnvironment env)
        {
            var directory = Directory.CreateDirectory(Path.Combine(env.Root, "fake-gh")).FullName;
            TestPaths.WriteScript(directory, "gh", """
                printf '%s\n' "$*" >> "$FAKE_GH_DIR/calls.log"
                if [ "$1" != pr ] || [ "$2" != view ] || [ "$4" != --json ] || [ "$5" != state,mergedAt,closed ]; then
                  echo "fake gh: unexpected arguments: $*" >&2; exit 2
                fi
                state=$(cat "$FAKE_GH_DIR/pull-${3##*/}" 2>/dev/null || echo OPEN)
                case "$state" in
                  RATELIMIT) echo "GraphQL: API rate limit exceeded for user ID 1234." >&2; exit 1 ;;
                  MERGED) echo '{"closed":true,"mergedAt":"2025-01-02T03:04:05Z","state":"MERGED"}' ;;
                  CLOSED) echo '{"closed":true,"mergedAt":null,"state":"CLOSED"}' ;;
                  *) echo '{"closed":false,"mergedAt":null,"state":"OPEN"}' ;;
                esac
                """);
            env.ExtraEnvironment["PATH"] = directory + ":" + Environment.GetEnvironmentVariable("PATH");
            env.ExtraEnvironment["FAKE_GH_DIR"] = directory;
            return new FakeGh(directory);
        }

        public void Set(int number, string state)
        {
            // Replaced in one rename: the script never reads half a file.
            var temp = Path.Combine(_directory, $".pull-{number}.tmp");
            File.WriteAllText(temp, state + "\n");
            File.Move(temp, Path.Combine(_directory, $"pull-{number}"), overwrite: true);
        }

        public string[] Log()
        {
            var path = Path.Combine(_directory, "calls.log");
            return File.Exists(path) ? File.ReadAllLines(path) : [];
        }

        public int Calls(int number) => Log().Count(l => l.Split(' ') is [_, _, var url, ..] && url == Repo + number);
    }
}
