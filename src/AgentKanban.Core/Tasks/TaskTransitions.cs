namespace AgentKanban.Core.Tasks;

/// <summary>Outcome of asking whether <c>role</c> may perform <c>action</c> on a task in some status.</summary>
public enum TransitionVerdict
{
    Allowed,
    /// <summary>The role may never perform this action (HTTP 403). Checked before the state.</summary>
    Forbidden,
    /// <summary>The role may perform it, but not from the current status (HTTP 409).</summary>
    IllegalState,
}

public readonly record struct TransitionDecision(
    TransitionVerdict Verdict,
    TaskStatus From,
    TaskStatus To,
    IReadOnlyList<TaskStatus> AllowedFrom)
{
    public bool IsAllowed => Verdict == TransitionVerdict.Allowed;
}

/// <summary>
/// The task transition table. The server applies an allowed transition as a compare-and-set
/// (<c>UPDATE … WHERE status = From</c>); this type only says what is legal.
/// </summary>
public static class TaskTransitions
{
    private sealed record Rule(TaskAction Action, TaskStatus[] From, TaskStatus To, ActorRole[] Roles);

    // Users own their board: besides creating and editing, they complete, cancel, reject and release.
    // Agents act within their role: workers claim and request review; leaders supervise.
    // A machine releases tasks its agents cannot finish and reports outcomes (complete/cancel).
    private static readonly Rule[] Rules =
    [
        new(TaskAction.Claim, [TaskStatus.Todo], TaskStatus.InProgress, [ActorRole.Worker]),
        new(TaskAction.Review, [TaskStatus.InProgress], TaskStatus.InReview, [ActorRole.Worker]),
        new(TaskAction.Reject, [TaskStatus.InReview], TaskStatus.InProgress, [ActorRole.User, ActorRole.Leader]),
        new(TaskAction.Complete, [TaskStatus.InReview], TaskStatus.Done, [ActorRole.User, ActorRole.Machine, ActorRole.Leader]),
        new(TaskAction.Cancel, [TaskStatus.Todo, TaskStatus.InProgress, TaskStatus.InReview], TaskStatus.Cancelled,
            [ActorRole.User, ActorRole.Machine, ActorRole.Leader]),
        new(TaskAction.Release, [TaskStatus.InProgress], TaskStatus.Todo, [ActorRole.User, ActorRole.Machine, ActorRole.Leader]),
    ];

    public static TaskStatus Target(TaskAction action) => RuleFor(action).To;

    public static IReadOnlyList<TaskStatus> AllowedFrom(TaskAction action) => RuleFor(action).From;

    public static bool RoleMay(ActorRole role, TaskAction action) => Array.IndexOf(RuleFor(action).Roles, role) >= 0;

    /// <summary>Role first (403 beats 409), then the source status.</summary>
    public static TransitionDecision Decide(TaskStatus current, TaskAction action, ActorRole role)
    {
        var rule = RuleFor(action);
        if (Array.IndexOf(rule.Roles, role) < 0)
        {
            return new(TransitionVerdict.Forbidden, current, rule.To, rule.From);
        }

        return Array.IndexOf(rule.From, current) >= 0
            ? new(TransitionVerdict.Allowed, current, rule.To, rule.From)
            : new(TransitionVerdict.IllegalState, current, rule.To, rule.From);
    }

    /// <summary>The 409 message: names the current state and the states the action is allowed from.</summary>
    public static string DescribeIllegal(TaskAction action, TaskStatus current) =>
        $"Cannot {action.ToVerb()} a task that is {current.ToName()} (allowed from: {string.Join(", ", AllowedFrom(action).Select(s => s.ToName()))})";

    public static string DescribeForbidden(TaskAction action, ActorRole role) =>
        $"{role.ToName()} cannot {action.ToVerb()} tasks";

    private static Rule RuleFor(TaskAction action)
    {
        foreach (var rule in Rules)
        {
            if (rule.Action == action)
            {
                return rule;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(action), action, null);
    }
}
