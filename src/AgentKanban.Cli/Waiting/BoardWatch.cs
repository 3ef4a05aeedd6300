using AgentKanban.Cli.Output;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Waiting;

/// <summary>Which tasks of a board a wait looks at (ids already resolved; null = any).</summary>
internal sealed record BoardSelection(string BoardId, string? Label, string? AssignedTo, string? RepositoryId)
{
    public bool Includes(TaskDto task) =>
        task.BoardId == BoardId
        && (Label is null || task.Labels.Contains(Label, StringComparer.Ordinal))
        && (AssignedTo is null || task.AssignedTo == AssignedTo)
        && (RepositoryId is null || task.RepositoryId == RepositoryId);

    public TaskFilter Filter => new(BoardId, null, Label, AssignedTo, RepositoryId);
}

/// <summary>
/// What <c>ak wait board</c> waits for. <see cref="All"/>: every selected task is in <see cref="Status"/> at once (for
/// <c>all-done</c>: finished, done or cancelled), and there is at least one. Otherwise the first match: a task that
/// changes status (or appears on the board, or starts matching the selection) into one of <see cref="Statuses"/> (any
/// status when empty); with <see cref="IncludeCurrent"/> the tasks already there when the wait starts count too.
/// </summary>
public sealed record BoardGoal(bool All, string? Status, IReadOnlyList<string> Statuses, bool IncludeCurrent)
{
    public const string AllDone = "all-done";
    public const string FirstMatch = "first-match";

    public bool IsAllDone => All && Status == TaskStatusNames.Done;

    public string Describe() => All
        ? IsAllDone ? "every task to be done (or cancelled)" : $"every task to be {Status}"
        : Statuses.Count == 0 ? "the first task that changes" : $"the first task to be {string.Join(" or ", Statuses)}";
}

/// <summary><c>ak wait board</c>: the board's selected tasks as its stream tells them, checked against a goal.</summary>
internal sealed class BoardWatch(CliContext context, BoardSelection selection, BoardGoal goal, string boardName, OutputFormat format) : ITaskWatch
{
    private readonly WaitOutput _output = new(context, format);
    private readonly Dictionary<string, TaskDto> _tasks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);
    private bool _primed;
    private TaskDto? _match;
    private int _reportedSatisfied = -1;

    public async Task<int?> ResyncAsync(string boardId, CancellationToken ct)
    {
        var current = await context.Client.ListTasksAsync(selection.Filter, ct);
        var seen = current.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _tasks.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _tasks.Remove(gone); // deleted, or no longer selected, while we were not looking
        }

        foreach (var task in current)
        {
            Observe(task);
        }

        if (!_primed)
        {
            _primed = true;
            _output.Progress($"waiting for {goal.Describe()} on board {boardName} ({Count()})");
        }

        return Decide();
    }

    public int? Apply(ServerEventDto evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.Task is not { } task || _deleted.Contains(task.Id))
        {
            return null;
        }

        _tasks.TryGetValue(task.Id, out var known);
        if (WaitOutput.IsStale(known, task))
        {
            return null;
        }

        if (evt.Type == TaskEvents.Deleted)
        {
            _deleted.Add(task.Id);
            _tasks.Remove(task.Id);
        }
        else if (!selection.Includes(task))
        {
            _tasks.Remove(task.Id);
        }
        else
        {
            Observe(task);
        }

        return Decide();
    }

    public void Remind(TimeSpan waited) => _output.Progress($"still waiting after {Age.Format(waited)} for {goal.Describe()} ({Count()})");

    /// <summary>Where things stand, for the timeout message.</summary>
    public string Count()
    {
        if (!goal.All)
        {
            return $"{_tasks.Count} task{(_tasks.Count == 1 ? "" : "s")}, none matched yet";
        }

        var status = goal.IsAllDone ? "done" : goal.Status;
        return $"{_tasks.Values.Count(Satisfies)}/{_tasks.Count} {status}";
    }

    private void Observe(TaskDto task)
    {
        var isNew = !_tasks.TryGetValue(task.Id, out var before);
        var changed = isNew || before!.Status != task.Status;
        _tasks[task.Id] = task;
        if (!changed)
        {
            return;
        }

        // A change is news; so is a task that appears, except those already there when the wait started.
        var news = !isNew || _primed || goal.IncludeCurrent;
        if (goal.All)
        {
            if (_primed && news)
            {
                _output.StatusLine(task);
            }
        }
        else if (news && _match is null && (goal.Statuses.Count == 0 || goal.Statuses.Contains(task.Status, StringComparer.Ordinal)))
        {
            _match = task;
        }
    }

    private int? Decide()
    {
        if (!_primed)
        {
            return null;
        }

        if (!goal.All)
        {
            if (_match is null)
            {
                return null;
            }

            _output.StatusLine(_match);
            _output.Result([_match], one: true);
            return WaitExit.Reached;
        }

        if (_tasks.Count > 0 && _tasks.Values.All(Satisfies))
        {
            _output.Result([.. _tasks.Values.OrderBy(t => t.Position).ThenBy(t => t.Seq)], one: false);
            return WaitExit.Reached;
        }

        if (_tasks.Values.FirstOrDefault(t => !Satisfies(t) && WaitOutput.IsTerminal(t.Status)) is { } stuck)
        {
            _output.Reason($"task {stuck.Id} is {stuck.Status}; not every task on board {boardName} can be {goal.Status}");
            return WaitExit.Unreachable;
        }

        var satisfied = _tasks.Values.Count(Satisfies);
        if (satisfied != _reportedSatisfied && _reportedSatisfied >= 0)
        {
            _output.Progress(Count());
        }

        _reportedSatisfied = satisfied;
        return null;
    }

    private bool Satisfies(TaskDto task) => goal.IsAllDone ? WaitOutput.IsTerminal(task.Status) : task.Status == goal.Status;
}
