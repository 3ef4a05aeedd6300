namespace AgentKanban.Core.Tasks;

/// <summary>Cycle detection for task dependencies (edge: task → the task it depends on).</summary>
public static class DependencyGraph
{
    /// <summary>
    /// True when giving <paramref name="taskId"/> the dependencies <paramref name="proposed"/> would close a
    /// cycle, given the existing edges. <paramref name="dependenciesOf"/> returns a task's current
    /// dependencies (the edges of <paramref name="taskId"/> itself are ignored: they are being replaced).
    /// Iterative walk, so a long chain cannot overflow the stack.
    /// </summary>
    public static bool WouldCreateCycle(
        string taskId,
        IEnumerable<string> proposed,
        Func<string, IEnumerable<string>> dependenciesOf)
    {
        ArgumentNullException.ThrowIfNull(proposed);
        ArgumentNullException.ThrowIfNull(dependenciesOf);

        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        foreach (var dep in proposed)
        {
            pending.Push(dep);
        }

        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (string.Equals(current, taskId, StringComparison.Ordinal))
            {
                return true;
            }

            if (!visited.Add(current))
            {
                continue;
            }

            foreach (var next in dependenciesOf(current))
            {
                pending.Push(next);
            }
        }

        return false;
    }

    /// <summary>A task is blocked while any dependency is neither done nor cancelled.</summary>
    public static bool IsBlocked(IEnumerable<TaskStatus> dependencyStatuses) =>
        dependencyStatuses.Any(s => !s.IsTerminal());
}
