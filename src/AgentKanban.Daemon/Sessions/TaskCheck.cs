using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Core.Tasks;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Sessions;

/// <summary>Where a session's task stands as far as this session is concerned.</summary>
public enum TaskStanding
{
    /// <summary>Still this session's (same epoch), todo or in progress.</summary>
    Ours,
    /// <summary>Same epoch, in review.</summary>
    InReview,
    /// <summary>The lease lapsed (the daemon was away too long) but nobody else took the task: lease it again and go on.</summary>
    Reclaimable,
    /// <summary>Deleted, done, cancelled, or re-issued to another session or machine.</summary>
    Gone,
    /// <summary>The server could not be asked.</summary>
    Unknown,
}

public sealed record TaskCheck(TaskStanding Standing, TaskDto? Task, string Reason)
{
    /// <summary>
    /// The session asked for review since <paramref name="since"/> (a <c>review_requested</c> entry of its own in the
    /// task's activity). Tells "never asked" from "asked, and a reviewer already rejected it" when the task is back in
    /// progress by the time the run's end is looked at.
    /// </summary>
    public bool ReviewRequestedBy(string serverSessionId, DateTimeOffset since)
    {
        var activity = Task?.Activity ?? [];
        // A rejection that came before this run (the one it may be answering) moves "since" forward: a review
        // request older than it belongs to an earlier run.
        foreach (var entry in activity)
        {
            if (entry.Action == TaskAction.Reject.ToActivity() && entry.CreatedAt > since && entry.CreatedAt < since + ClockMargin)
            {
                since = entry.CreatedAt;
            }
        }

        return activity.Any(a => a.Action == TaskAction.Review.ToActivity() && a.SessionId == serverSessionId && a.CreatedAt > since);
    }

    /// <summary>
    /// The reviewer's reason when the task was rejected after the session's latest review request (under any of its
    /// server ids: <c>id</c> or <c>id-eN</c>), i.e. a rejection the agent has not answered yet; null when there is none. An
    /// older rejection, answered by a later review request, does not count.
    /// </summary>
    public string? UnansweredRejection(string localSessionId)
    {
        var activity = Task?.Activity ?? [];
        var lastRequest = -1;
        for (var i = 0; i < activity.Count; i++)
        {
            if (activity[i].Action == TaskAction.Review.ToActivity() && BelongsTo(activity[i].SessionId, localSessionId))
            {
                lastRequest = i;
            }
        }

        if (lastRequest < 0)
        {
            return null;
        }

        for (var i = activity.Count - 1; i > lastRequest; i--)
        {
            if (activity[i].Action == TaskAction.Reject.ToActivity())
            {
                return activity[i].Detail ?? string.Empty;
            }
        }

        return null;
    }

    /// <summary>The reviewer's reason of the task's latest rejection, if it has one.</summary>
    public string? LatestRejection() => Task?.Activity?.LastOrDefault(a => a.Action == TaskAction.Reject.ToActivity())?.Detail;

    private static bool BelongsTo(string? serverSessionId, string localSessionId) =>
        serverSessionId is not null
        && (serverSessionId == localSessionId || serverSessionId.StartsWith(localSessionId + "-e", StringComparison.Ordinal));

    /// <summary>Tolerance between this machine's clock and the server's when comparing run starts with activity times.</summary>
    public static readonly TimeSpan ClockMargin = TimeSpan.FromSeconds(2);

    /// <summary>The task as run classification sees it (<see cref="RunOutcome"/>).</summary>
    public TaskView ToView() => Standing switch
    {
        TaskStanding.Ours when Task?.Status == TaskStatusNames.Todo => TaskView.Unclaimed,
        TaskStanding.Ours => TaskView.InProgress,
        TaskStanding.InReview => TaskView.InReview,
        TaskStanding.Gone => TaskView.Gone,
        _ => TaskView.Unknown,
    };
}

/// <summary>Asks the server whether a session's task is still the session's (fencing by epoch and lease).</summary>
public static class TaskChecks
{
    public static async Task<TaskCheck> CheckAsync(BoardApiClient api, SessionRecord session, string machineId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            var task = await api.FindTaskAsync(session.TaskId, cancellationToken);
            return Judge(task, session, machineId, now);
        }
        catch (ServerApiException e)
        {
            return new TaskCheck(TaskStanding.Unknown, null, "server unreachable: " + e.Message);
        }
    }

    public static TaskCheck Judge(TaskDto? task, SessionRecord session, string machineId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (task is null)
        {
            return new(TaskStanding.Gone, null, "task deleted");
        }

        switch (task.Status)
        {
            case TaskStatusNames.Done:
                return new(TaskStanding.Gone, task, "task done");
            case TaskStatusNames.Cancelled:
                return new(TaskStanding.Gone, task, "task cancelled");
        }

        if (task.Lease is { } lease && lease.MachineId != machineId && lease.ExpiresAt > now)
        {
            return new(TaskStanding.Gone, task, $"task re-issued to machine {lease.MachineId}");
        }

        if (task.Epoch == session.Epoch)
        {
            return task.Status == TaskStatusNames.InReview
                ? new(TaskStanding.InReview, task, "task in review")
                : new(TaskStanding.Ours, task, "task still held by this session");
        }

        return task.Status == TaskStatusNames.Todo
            ? new(TaskStanding.Reclaimable, task, $"lease lapsed (epoch {session.Epoch} → {task.Epoch}); task is todo again")
            : new(TaskStanding.Gone, task, $"task re-issued (epoch {session.Epoch} → {task.Epoch})");
    }
}
