using AgentKanban.Cli.Output;
using AgentKanban.Cli.Resources;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Waiting;

/// <summary>Exit codes of <c>ak wait</c> beyond the usual 0 (reached), 1 (failure or unreachable) and 2 (usage).</summary>
public static class WaitExit
{
    public const int Reached = 0;
    public const int Unreachable = 1;

    /// <summary>The time limit passed first (the value <c>timeout(1)</c> uses).</summary>
    public const int TimedOut = 124;
}

/// <summary>Event types of the server's streams that carry a task.</summary>
internal static class TaskEvents
{
    public const string Created = "task.created";
    public const string Updated = "task.updated";
    public const string Deleted = "task.deleted";
}

/// <summary>
/// How waits talk: a <c>[status] id title PR=…</c> line on stdout for each change (tables only), progress and reasons on
/// stderr (not with <c>-o json|yaml|name</c>, where stdout is only the result and stderr only errors), and the result
/// itself in the asked format at the end.
/// </summary>
internal sealed class WaitOutput(CliContext context, OutputFormat format)
{
    public bool Readable => format is OutputFormat.Table or OutputFormat.Wide;

    public void StatusLine(TaskDto task)
    {
        if (Readable)
        {
            var pr = task.PrUrl is null ? "" : $" PR={task.PrUrl}";
            context.Out.WriteLine($"[{task.Status}] {task.Id} {task.Title}{pr}");
        }
    }

    public void Progress(string line)
    {
        if (Readable)
        {
            context.Error.WriteLine(line);
        }
    }

    public void Reason(string line) => context.Error.WriteLine($"error: {line}");

    /// <summary>The result: tables already showed it line by line, every other format prints it now.</summary>
    public void Result(IReadOnlyList<TaskDto> tasks, bool one)
    {
        if (Readable)
        {
            return;
        }

        var view = new Views(context.Time.GetUtcNow()).Task;
        if (one && tasks.Count == 1)
        {
            ResourcePrinter.WriteOne(context.Out, view, tasks[0], format);
        }
        else
        {
            ResourcePrinter.WriteMany(context.Out, context.Error, view, tasks, format);
        }
    }

    public static bool IsTerminal(string status) => TaskStatusNames.TryParse(status, out var parsed) && parsed.IsTerminal();

    /// <summary>True when <paramref name="incoming"/> is older than what we already know (an event from before a re-read).</summary>
    public static bool IsStale(TaskDto? known, TaskDto incoming) => known is not null && incoming.UpdatedAt < known.UpdatedAt;
}
