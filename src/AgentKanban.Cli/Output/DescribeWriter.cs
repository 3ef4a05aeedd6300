using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Output;

/// <summary>Names that make a task's ids readable in <c>describe</c>; any may be missing.</summary>
public sealed record TaskNames(
    string? Board = null,
    string? Repository = null,
    string? Assignee = null,
    IReadOnlyDictionary<string, TaskDto>? Dependencies = null,
    IReadOnlyDictionary<string, string>? Actors = null);

/// <summary>The human-readable <c>ak describe</c> pages.</summary>
public static class DescribeWriter
{
    public static void WriteTask(TextWriter w, TaskDto task, TaskNames names, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(names);
        TableWriter.WriteFields(w,
        [
            ("Id", task.Id),
            ("Title", task.Title),
            ("Status", task.Status),
            ("Board", Named(names.Board, task.BoardId)),
            ("Repository", Named(names.Repository, task.RepositoryId)),
            ("Assigned to", Named(names.Assignee, task.AssignedTo)),
            ("Labels", string.Join(", ", task.Labels)),
            ("Depends on", string.Join(", ", task.DependsOn.Select(d => DependencyText(d, names.Dependencies)))),
            ("Blocked", task.Blocked ? "yes" : "no"),
            ("Scheduled at", Age.Stamp(task.ScheduledAt)),
            ("PR", task.PrUrl),
            ("Parent", task.ParentId),
            ("Epoch", task.Epoch.ToString()),
            ("Lease", task.Lease is null ? null : $"machine {task.Lease.MachineId}, epoch {task.Lease.Epoch}, expires {Age.Stamp(task.Lease.ExpiresAt)}"),
            ("Active session", task.ActiveSessionId),
            ("Why", task.Why is null ? null : $"{task.Why} ({Age.Since(task.WhyAt, now)} ago)"),
            ("Created", $"{Age.Stamp(task.CreatedAt)} ({Age.Since(task.CreatedAt, now)} ago)"),
            ("Updated", $"{Age.Stamp(task.UpdatedAt)} ({Age.Since(task.UpdatedAt, now)} ago)"),
        ]);
        WriteDescription(w, task.Description);

        w.WriteLine();
        w.WriteLine("Activity:");
        var activity = task.Activity ?? [];
        if (activity.Count == 0)
        {
            w.WriteLine("  <none>");
        }
        else
        {
            TableWriter.Write(w, ["  TIME", "ACTOR", "ACTION", "DETAIL"], activity.Select(a => (IReadOnlyList<string?>)
                ["  " + Age.Stamp(a.CreatedAt), Actor(a.ActorType, a.ActorId, names.Actors), a.Action, a.Detail]));
        }

        w.WriteLine();
        w.WriteLine("Messages:");
        var messages = task.Messages ?? [];
        if (messages.Count == 0)
        {
            w.WriteLine("  <none>");
        }
        else
        {
            TableWriter.Write(w, ["  TIME", "FROM", "MESSAGE"], messages.Select(m => (IReadOnlyList<string?>)
                ["  " + Age.Stamp(m.CreatedAt), Actor(m.SenderType, m.SenderId, names.Actors), m.Content]));
        }
    }

    public static void WriteBoard(TextWriter w, BoardDto board, IReadOnlyList<TaskDto> tasks, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(tasks);
        TableWriter.WriteFields(w,
        [
            ("Id", board.Id),
            ("Name", board.Name),
            ("Type", board.Type),
            ("Created", $"{Age.Stamp(board.CreatedAt)} ({Age.Since(board.CreatedAt, now)} ago)"),
        ]);
        WriteDescription(w, board.Description);
        w.WriteLine();
        w.WriteLine("Labels:");
        if (board.Labels.Count == 0)
        {
            w.WriteLine("  <none>");
        }
        else
        {
            TableWriter.Write(w, ["  NAME", "COLOR", "DESCRIPTION"], board.Labels.Select(l => (IReadOnlyList<string?>)["  " + l.Name, l.Color, l.Description]));
        }

        foreach (var status in new[] { TaskStatusNames.Todo, TaskStatusNames.InProgress, TaskStatusNames.InReview, TaskStatusNames.Done, TaskStatusNames.Cancelled })
        {
            var column = tasks.Where(t => t.Status == status).ToList();
            w.WriteLine();
            w.WriteLine($"{status} ({column.Count}):");
            foreach (var task in column)
            {
                var flags = task.Blocked ? " [blocked]" : "";
                w.WriteLine($"  {task.Id}  {task.Title}{flags}");
            }
        }
    }

    public static void WriteAgent(TextWriter w, AgentDto agent, IReadOnlyList<TaskDto> tasks, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(tasks);
        TableWriter.WriteFields(w,
        [
            ("Id", agent.Id),
            ("Username", agent.Username),
            ("Name", agent.Name),
            ("Kind", agent.Kind),
            ("Runtime", agent.Runtime),
            ("Model", agent.Model),
            ("Role", agent.Role),
            ("Permission mode", agent.PermissionMode),
            ("Command", agent.Command),
            ("Created", $"{Age.Stamp(agent.CreatedAt)} ({Age.Since(agent.CreatedAt, now)} ago)"),
        ]);
        if (!string.IsNullOrEmpty(agent.Instructions))
        {
            w.WriteLine();
            w.WriteLine("Instructions:");
            foreach (var line in agent.Instructions.Split('\n'))
            {
                w.WriteLine("  " + line.TrimEnd());
            }
        }

        w.WriteLine();
        w.WriteLine("Tasks:");
        if (tasks.Count == 0)
        {
            w.WriteLine("  <none>");
        }
        else
        {
            TableWriter.Write(w, ["  ID", "STATUS", "TITLE"], tasks.Select(t => (IReadOnlyList<string?>)["  " + t.Id, t.Status, t.Title]));
        }
    }

    public static void WriteMachine(TextWriter w, MachineDto machine, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(machine);
        TableWriter.WriteFields(w,
        [
            ("Id", machine.Id),
            ("Name", machine.Name),
            ("Status", machine.Status),
            ("OS", machine.Os),
            ("Version", machine.Version),
            ("Device id", machine.DeviceId),
            ("Last heartbeat", machine.LastHeartbeatAt is null ? null : $"{Age.Stamp(machine.LastHeartbeatAt)} ({Age.Since(machine.LastHeartbeatAt, now)} ago)"),
        ]);
        w.WriteLine();
        w.WriteLine("Runtimes:");
        if (machine.Runtimes.Count == 0)
        {
            w.WriteLine("  <none>");
        }
        else
        {
            TableWriter.Write(w, ["  NAME", "STATUS", "RESETS", "DETAIL"], machine.Runtimes.Select(r => (IReadOnlyList<string?>)
                ["  " + r.Name, r.Status, r.ResetAt is null ? "" : $"{Age.Stamp(r.ResetAt)} ({Age.Since(r.ResetAt, now)})", r.Detail]));
        }

        w.WriteLine();
        w.WriteLine("Usage:");
        if (machine.Usage.Count == 0)
        {
            w.WriteLine("  <none>");
        }
        else
        {
            TableWriter.Write(w, ["  RUNTIME", "WINDOW", "USED", "RESETS"], machine.Usage.Select(u => (IReadOnlyList<string?>)
                ["  " + u.Runtime, u.Label, $"{u.Utilization:0.#}%", Age.Stamp(u.ResetsAt)]));
        }
    }

    public static void WriteSession(TextWriter w, SessionDto session)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(session);
        TableWriter.WriteFields(w,
        [
            ("Id", session.Id),
            ("Status", session.Status),
            ("Agent", session.AgentId),
            ("Machine", session.MachineId),
            ("Task", session.TaskId),
            ("Epoch", session.Epoch.ToString()),
            ("Input tokens", session.InputTokens.ToString()),
            ("Output tokens", session.OutputTokens.ToString()),
            ("Cache read tokens", session.CacheReadTokens.ToString()),
            ("Cache creation tokens", session.CacheCreationTokens.ToString()),
            ("Cost (USD)", Resources.Views.FormatCost(session.CostMicroUsd)),
            ("Created", Age.Stamp(session.CreatedAt)),
            ("Closed", Age.Stamp(session.ClosedAt)),
        ]);
    }

    public static void WriteRepository(TextWriter w, RepositoryDto repository, IReadOnlyList<TaskDto> tasks)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(tasks);
        TableWriter.WriteFields(w,
        [
            ("Id", repository.Id),
            ("Name", repository.Name),
            ("URL", repository.Url),
            ("Created", Age.Stamp(repository.CreatedAt)),
            ("Tasks", tasks.Count.ToString()),
        ]);
    }

    private static void WriteDescription(TextWriter w, string? description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            return;
        }

        w.WriteLine();
        w.WriteLine("Description:");
        foreach (var line in description.Split('\n'))
        {
            w.WriteLine("  " + line.TrimEnd());
        }
    }

    private static string? Named(string? name, string? id) =>
        id is null ? null : name is null || name == id ? id : $"{name} ({id})";

    private static string DependencyText(string id, IReadOnlyDictionary<string, TaskDto>? dependencies) =>
        dependencies is not null && dependencies.TryGetValue(id, out var d) ? $"{id} ({d.Status}: {d.Title})" : id;

    private static string Actor(string type, string id, IReadOnlyDictionary<string, string>? actors) =>
        actors is not null && actors.TryGetValue(id, out var name) ? $"{type} {name}" : $"{type} {id}";
}
