namespace AgentKanban.Core.Tasks;

/// <summary>The lifecycle actions that move a task between statuses.</summary>
public enum TaskAction
{
    Claim,
    Review,
    Reject,
    Complete,
    Cancel,
    Release,
}

public static class TaskActionNames
{
    public static IReadOnlyList<TaskAction> All { get; } =
        [TaskAction.Claim, TaskAction.Review, TaskAction.Reject, TaskAction.Complete, TaskAction.Cancel, TaskAction.Release];

    /// <summary>The verb used in URLs and CLI commands (<c>/api/tasks/{id}/claim</c>).</summary>
    public static string ToVerb(this TaskAction action) => action switch
    {
        TaskAction.Claim => "claim",
        TaskAction.Review => "review",
        TaskAction.Reject => "reject",
        TaskAction.Complete => "complete",
        TaskAction.Cancel => "cancel",
        TaskAction.Release => "release",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>The activity-log entry recorded when the action succeeds.</summary>
    public static string ToActivity(this TaskAction action) => action switch
    {
        TaskAction.Claim => "claimed",
        TaskAction.Review => "review_requested",
        TaskAction.Reject => "rejected",
        TaskAction.Complete => "completed",
        TaskAction.Cancel => "cancelled",
        TaskAction.Release => "released",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static bool TryParseVerb(string? verb, out TaskAction action)
    {
        foreach (var candidate in All)
        {
            if (candidate.ToVerb() == verb)
            {
                action = candidate;
                return true;
            }
        }

        action = default;
        return false;
    }
}
