namespace AgentKanban.Core.Tasks;

/// <summary>Where a task is on the board. Wire names are snake_case (see <see cref="TaskStatusNames"/>).</summary>
public enum TaskStatus
{
    Todo,
    InProgress,
    InReview,
    Done,
    Cancelled,
}

/// <summary>The one place that maps task statuses to and from their wire and storage names.</summary>
public static class TaskStatusNames
{
    public const string Todo = "todo";
    public const string InProgress = "in_progress";
    public const string InReview = "in_review";
    public const string Done = "done";
    public const string Cancelled = "cancelled";

    public static IReadOnlyList<TaskStatus> All { get; } =
        [TaskStatus.Todo, TaskStatus.InProgress, TaskStatus.InReview, TaskStatus.Done, TaskStatus.Cancelled];

    public static string ToName(this TaskStatus status) => status switch
    {
        TaskStatus.Todo => Todo,
        TaskStatus.InProgress => InProgress,
        TaskStatus.InReview => InReview,
        TaskStatus.Done => Done,
        TaskStatus.Cancelled => Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static bool TryParse(string? name, out TaskStatus status)
    {
        switch (name)
        {
            case Todo: status = TaskStatus.Todo; return true;
            case InProgress: status = TaskStatus.InProgress; return true;
            case InReview: status = TaskStatus.InReview; return true;
            case Done: status = TaskStatus.Done; return true;
            case Cancelled: status = TaskStatus.Cancelled; return true;
            default: status = default; return false;
        }
    }

    /// <summary>Done and cancelled are final: nothing moves a task out of them.</summary>
    public static bool IsTerminal(this TaskStatus status) => status is TaskStatus.Done or TaskStatus.Cancelled;
}
