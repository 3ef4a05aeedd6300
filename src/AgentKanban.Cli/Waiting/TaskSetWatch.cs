using AgentKanban.Cli.Output;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Waiting;

/// <summary>
/// <c>ak wait task ID…</c>: every given task has to get to one status. A task counts once it has been seen there (so
/// "until in_progress" is met by a task that has since moved on to review). The wait cannot succeed any more when a task
/// that has not counted yet ends in another final status (done or cancelled), or is deleted.
/// </summary>
internal sealed class TaskSetWatch : ITaskWatch
{
    private readonly CliContext _context;
    private readonly IReadOnlyList<string> _ids;
    private readonly string _until;
    private readonly WaitOutput _output;
    private readonly Dictionary<string, TaskDto> _tasks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reached = new(StringComparer.Ordinal);
    private int _reportedReached = -1;

    public TaskSetWatch(CliContext context, IReadOnlyList<string> ids, string until, OutputFormat output)
    {
        _context = context;
        _ids = ids;
        _until = until;
        _output = new WaitOutput(context, output);
    }

    /// <summary>The boards the tasks are on (known once <see cref="StartAsync"/> has read them).</summary>
    public IReadOnlyCollection<string> Boards => [.. _tasks.Values.Select(t => t.BoardId).Distinct(StringComparer.Ordinal)];

    /// <summary>Reads every task once (an unknown id fails here, as in <c>ak get task</c>) and decides.</summary>
    public async Task<int?> StartAsync(CancellationToken ct)
    {
        foreach (var id in _ids)
        {
            Observe(await _context.Client.GetTaskAsync(id, ct));
        }

        return Decide();
    }

    public async Task<int?> ResyncAsync(string boardId, CancellationToken ct)
    {
        foreach (var id in _ids.Where(id => _tasks[id].BoardId == boardId))
        {
            if (await _context.Client.FindTaskAsync(id, ct) is not { } task)
            {
                return Deleted(id);
            }

            Observe(task);
        }

        return Decide();
    }

    public int? Apply(ServerEventDto evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (evt.Task is not { } task || !_tasks.TryGetValue(task.Id, out var known))
        {
            return null;
        }

        if (evt.Type == TaskEvents.Deleted)
        {
            return Deleted(task.Id);
        }

        if (WaitOutput.IsStale(known, task))
        {
            return null;
        }

        Observe(task);
        return Decide();
    }

    public void Remind(TimeSpan waited) => _output.Progress($"still waiting after {Age.Format(waited)}: {Summary()}");

    /// <summary>Where things stand, for the timeout message.</summary>
    public string Summary()
    {
        var pending = _ids.Where(id => !_reached.Contains(id)).Select(id => _tasks.TryGetValue(id, out var t) ? $"{id} is {t.Status}" : id);
        var counted = _ids.Count > 1 ? $"{_reached.Count}/{_ids.Count} {_until}; " : "";
        return counted + string.Join(", ", pending);
    }

    private void Observe(TaskDto task)
    {
        var changed = !_tasks.TryGetValue(task.Id, out var before) || before.Status != task.Status;
        _tasks[task.Id] = task;
        if (changed)
        {
            _output.StatusLine(task);
        }

        if (task.Status == _until)
        {
            _reached.Add(task.Id);
        }
    }

    private int? Deleted(string id)
    {
        _output.Reason($"task {id} was deleted; it will never be {_until}");
        return WaitExit.Unreachable;
    }

    private int? Decide()
    {
        if (_reached.Count == _ids.Count)
        {
            _output.Result([.. _ids.Select(id => _tasks[id])], one: _ids.Count == 1);
            return WaitExit.Reached;
        }

        foreach (var id in _ids.Where(id => !_reached.Contains(id)))
        {
            if (_tasks.TryGetValue(id, out var task) && WaitOutput.IsTerminal(task.Status))
            {
                _output.Reason($"task {id} is {task.Status}; it will never be {_until}");
                return WaitExit.Unreachable;
            }
        }

        if (_ids.Count > 1 && _tasks.Count == _ids.Count && _reached.Count != _reportedReached)
        {
            _reportedReached = _reached.Count;
            _output.Progress($"{_reached.Count}/{_ids.Count} {_until}");
        }

        return null;
    }
}
