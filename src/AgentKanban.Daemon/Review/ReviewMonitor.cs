using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Core.Tasks;
using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Workspaces;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Review;

/// <summary>
/// Merged work completes itself. Every task in review that a session of this machine worked on is tracked in the store
/// (<see cref="ReviewWatchStore"/>, so the set survives any restart) and checked every
/// <see cref="DaemonOptions.ReviewPollInterval"/>, one pass at a time: a GitHub pull request through <c>gh</c> (merged →
/// <c>complete</c>, closed unmerged → <c>cancel</c>, open → keep); otherwise the session branch in the repository's
/// mirror after a fetch (merged into the default branch → <c>complete</c>). A task that is done, cancelled or deleted is
/// dropped. A check that fails backs off per task (capped doubling), a GitHub rate limit longer and for every GitHub
/// check. After the transition the session is ended the way every finished task's session is (<see cref="TaskWatcher"/>):
/// closed, its uncommitted work saved to its wip ref, its worktree removed.
/// </summary>
public sealed class ReviewMonitor(
    ReviewWatchStore watches,
    SessionStore sessions,
    TaskWatcher watcher,
    BoardApiClient api,
    BranchMerges? branches,
    GitHubPulls github,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<ReviewMonitor> logger,
    IJitterSource? jitter = null)
{
    private readonly WakeSignal _wake = new();
    private readonly IJitterSource _jitter = jitter ?? RandomJitter.Shared;
    private DateTimeOffset _gitHubPausedUntil = DateTimeOffset.MinValue;

    private TimeSpan Interval => context.Options.ReviewPollInterval;

    /// <summary>The server was told a task's outcome: (task id, <c>complete</c> or <c>cancel</c>).</summary>
    public event Action<string, string>? Settled;

    /// <summary>A session was ended because its task finished (the loop cleans it up now rather than at its next timer).</summary>
    public event Action? SessionEnded;

    /// <summary>A pass finished (tests wait on this instead of on time).</summary>
    public event Action? PassCompleted;

    /// <summary>Check now (a run ended: a session may have gone into review).</summary>
    public void Wake() => _wake.Set();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await PassAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is ServerApiException or IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                ReviewLog.PassFailed(logger, e);
                wait = Interval;
            }

            PassCompleted?.Invoke();
            try
            {
                await _wake.WaitAsync(wait, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>One pass over the due tasks; returns how long to sleep before the next one.</summary>
    internal async Task<TimeSpan> PassAsync(CancellationToken cancellationToken)
    {
        var added = await watches.TrackInReviewSessionsAsync(timeProvider.GetUtcNow(), cancellationToken);
        if (added > 0)
        {
            ReviewLog.Tracked(logger, added);
        }

        var fetched = new Dictionary<string, FetchResult>(StringComparer.Ordinal);
        foreach (var watch in await watches.DueAsync(timeProvider.GetUtcNow(), cancellationToken))
        {
            if (!await CheckAsync(watch, fetched, cancellationToken))
            {
                return Interval; // The server cannot be asked: nothing to learn or to tell this round.
            }
        }

        var next = await watches.NextCheckAtAsync(cancellationToken);
        var wait = next is { } at ? at - timeProvider.GetUtcNow() : Interval;
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Interval ? Interval : wait;
    }

    /// <summary>Checks one tracked task; false when the server could not be reached.</summary>
    private async Task<bool> CheckAsync(ReviewWatch watch, Dictionary<string, FetchResult> fetched, CancellationToken cancellationToken)
    {
        TaskDto? task;
        try
        {
            task = await api.FindTaskAsync(watch.TaskId, cancellationToken);
        }
        catch (ServerApiException e) when (e.IsTransient || e.IsNoAnswer)
        {
            return false;
        }
        catch (ServerApiException e)
        {
            await FailedAsync(watch, null, "reading the task failed: " + e.Message, rateLimited: false, cancellationToken);
            return true;
        }

        if (task is null || task.Status is TaskStatusNames.Done or TaskStatusNames.Cancelled)
        {
            await watches.RemoveAsync(watch.TaskId, cancellationToken);
            ReviewLog.Untracked(logger, watch.TaskId, task?.Status ?? "deleted");
            await EndSessionAsync(watch.TaskId, cancellationToken);
            return true;
        }

        if (task.Status != TaskStatusNames.InReview)
        {
            // Rejected and being worked on again, or back in todo: it returns to review, and is looked at then.
            await RecordAsync(watch, timeProvider.GetUtcNow() + Interval, 0, null, null, cancellationToken);
            return true;
        }

        var verdict = await JudgeAsync(watch, task, fetched, cancellationToken);
        switch (verdict.Outcome)
        {
            case Outcome.Merged:
                return await SettleAsync(watch, TaskAction.Complete, verdict.Detail, verdict.BaseCommit, cancellationToken);
            case Outcome.Closed:
                return await SettleAsync(watch, TaskAction.Cancel, verdict.Detail, verdict.BaseCommit, cancellationToken);
            case Outcome.Deferred:
                await RecordAsync(watch, verdict.NextCheck ?? timeProvider.GetUtcNow() + Interval, watch.Failures, watch.LastError, verdict.BaseCommit, cancellationToken);
                return true;
            case Outcome.Failed:
                await FailedAsync(watch, verdict.BaseCommit, verdict.Detail, verdict.RateLimited, cancellationToken);
                return true;
            default:
                await RecordAsync(watch, timeProvider.GetUtcNow() + Interval, 0, null, verdict.BaseCommit, cancellationToken);
                return true;
        }
    }

    private async Task<Verdict> JudgeAsync(ReviewWatch watch, TaskDto task, Dictionary<string, FetchResult> fetched, CancellationToken cancellationToken)
    {
        var hasBranch = branches is not null && watch.RepositoryUrl is not null && watch.Branch is not null;
        if (GitHubPulls.IsPullRequestUrl(task.PrUrl) && (github.Executable is not null || !hasBranch))
        {
            var now = timeProvider.GetUtcNow();
            if (now < _gitHubPausedUntil)
            {
                return new(Outcome.Deferred, "GitHub rate limit", watch.BaseCommit) { NextCheck = _gitHubPausedUntil };
            }

            var pull = await github.ViewAsync(task.PrUrl!, cancellationToken);
            return pull.State switch
            {
                PullState.Merged => new(Outcome.Merged, $"{pull.Detail}: {task.PrUrl}", watch.BaseCommit),
                PullState.Closed => new(Outcome.Closed, $"{pull.Detail}: {task.PrUrl}", watch.BaseCommit),
                PullState.Open => new(Outcome.Open, pull.Detail, watch.BaseCommit),
                _ => new(Outcome.Failed, pull.Detail, watch.BaseCommit) { RateLimited = pull.RateLimited },
            };
        }

        if (!hasBranch)
        {
            return new(Outcome.Open, "nothing to look at (no pull request, no repository branch)", null);
        }

        var url = watch.RepositoryUrl!;
        if (!fetched.TryGetValue(url, out var fetch))
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(context.Options.ReviewCheckTimeout);
            try
            {
                fetch = new FetchResult(await branches!.FetchAsync(url, limit.Token), null);
            }
            catch (WorkspaceException e)
            {
                fetch = new FetchResult(null, e.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                fetch = new FetchResult(null, $"fetching {GitUrl.Redact(url)} took longer than {context.Options.ReviewCheckTimeout}");
            }

            fetched[url] = fetch;
        }

        if (fetch.Mirror is not { } mirror)
        {
            return new(Outcome.Failed, fetch.Error ?? "fetch failed", watch.BaseCommit);
        }

        try
        {
            var check = await branches!.CheckAsync(mirror, watch.Branch!, watch.BaseCommit, cancellationToken);
            return new(check.Merged ? Outcome.Merged : Outcome.Open, check.Detail, check.BaseCommit);
        }
        catch (GitException e)
        {
            return new(Outcome.Failed, e.Message, watch.BaseCommit);
        }
    }

    /// <summary>Tells the server; false when it could not be reached (the task stays tracked and is tried again).</summary>
    private async Task<bool> SettleAsync(ReviewWatch watch, TaskAction action, string detail, string? baseCommit, CancellationToken cancellationToken)
    {
        var verb = action.ToVerb();
        try
        {
            await api.TransitionTaskAsync(watch.TaskId, verb, new TransitionRequest(Reason: detail), cancellationToken);
        }
        catch (ServerApiException e) when (e.IsTransient || e.IsNoAnswer)
        {
            ReviewLog.SettleFailed(logger, watch.TaskId, verb, e.Message);
            return false;
        }
        catch (ServerApiException e) when (e.IsConflict)
        {
            // The task moved meanwhile (rejected, or finished by someone else): look again at the next check.
            ReviewLog.SettleFailed(logger, watch.TaskId, verb, e.Message);
            await RecordAsync(watch, timeProvider.GetUtcNow(), 0, null, baseCommit, cancellationToken);
            return true;
        }
        catch (ServerApiException e) when (!e.IsNotFound)
        {
            await FailedAsync(watch, baseCommit, $"{verb} refused: {e.Message}", rateLimited: false, cancellationToken);
            return true;
        }

        ReviewLog.Settled(logger, watch.TaskId, verb, detail);
        await watches.RemoveAsync(watch.TaskId, cancellationToken);
        Settled?.Invoke(watch.TaskId, verb);
        await EndSessionAsync(watch.TaskId, cancellationToken);
        return true;
    }

    /// <summary>The task is finished: its open session here ends as any finished task's does (closed, worktree removed).</summary>
    private async Task EndSessionAsync(string taskId, CancellationToken cancellationToken)
    {
        var session = await sessions.FindOpenByTaskAsync(taskId, cancellationToken);
        if (session is null || session.State is not (SessionState.InReview or SessionState.Active))
        {
            return;
        }

        if (await watcher.CheckAsync(session, cancellationToken))
        {
            SessionEnded?.Invoke();
        }
    }

    private async Task FailedAsync(ReviewWatch watch, string? baseCommit, string reason, bool rateLimited, CancellationToken cancellationToken)
    {
        var failures = watch.Failures + 1;
        var now = timeProvider.GetUtcNow();
        var options = rateLimited
            ? new RetryOptions(context.Options.GitHubRateLimitBackoff, TimeSpan.FromHours(1), 0, 0.2)
            : new RetryOptions(Interval, TimeSpan.FromMinutes(30), 0, 0.2);
        var next = now + RetryPolicy.Delay(failures, options, _jitter.NextUnit());
        if (rateLimited)
        {
            if (next > _gitHubPausedUntil)
            {
                _gitHubPausedUntil = next;
            }

            ReviewLog.RateLimited(logger, watch.TaskId, next);
        }
        else if (failures == 1 || failures % 10 == 0)
        {
            ReviewLog.CheckFailed(logger, watch.TaskId, failures, next, reason);
        }

        await watches.RecordCheckAsync(watch.TaskId, watch.SessionId, now, next, failures, (rateLimited ? "rate limited: " : "") + reason, baseCommit,
            cancellationToken);
    }

    private Task RecordAsync(ReviewWatch watch, DateTimeOffset next, int failures, string? error, string? baseCommit, CancellationToken cancellationToken) =>
        watches.RecordCheckAsync(watch.TaskId, watch.SessionId, timeProvider.GetUtcNow(), next, failures, error, baseCommit, cancellationToken);

    private enum Outcome
    {
        Open,
        Merged,
        Closed,
        Failed,
        Deferred,
    }

    private sealed record Verdict(Outcome Outcome, string Detail, string? BaseCommit)
    {
        public bool RateLimited { get; init; }

        public DateTimeOffset? NextCheck { get; init; }
    }

    private sealed record FetchResult(Mirror? Mirror, string? Error);
}
