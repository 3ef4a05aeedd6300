using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Output;

/// <summary>What <c>ak why</c> knows besides the task: its dependencies, its assignee and the machines.</summary>
public sealed record WhyFacts(
    IReadOnlyList<TaskDto> Dependencies,
    AgentDto? Assignee,
    IReadOnlyList<MachineDto>? Machines);

/// <summary>
/// Explains why a task is not running, or what it is doing. Pure: the same facts give the same words, so
/// the rules are tested without a server. Reasons come most important first.
/// </summary>
public static class WhyExplainer
{
    public static WhyReport Explain(TaskDto task, WhyFacts facts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(facts);
        var reasons = task.Status switch
        {
            TaskStatusNames.Done => [$"done (since {Age.Stamp(task.UpdatedAt)})"],
            TaskStatusNames.Cancelled => [$"cancelled (since {Age.Stamp(task.UpdatedAt)})"],
            TaskStatusNames.InReview => [InReview(task)],
            TaskStatusNames.InProgress => InProgress(task, facts),
            _ => Todo(task, facts, now),
        };
        return new WhyReport(task.Id, task.Status, reasons, task.Why, task.WhyAt);
    }

    private static string InReview(TaskDto task)
    {
        var pr = task.PrUrl is null ? "" : $" ({task.PrUrl})";
        return $"in review{pr}: waiting for a user or a leader to complete or reject it";
    }

    private static List<string> InProgress(TaskDto task, WhyFacts facts)
    {
        var agent = facts.Assignee?.Username ?? task.AssignedTo ?? "an agent";
        var where = task.Lease is null ? "" : $" on machine {MachineName(task.Lease.MachineId, facts.Machines)}";
        var session = task.ActiveSessionId is null ? "" : $" (session {task.ActiveSessionId})";
        var reasons = new List<string> { $"in progress by agent {agent}{where}{session}" };
        if (task.Why is not null)
        {
            reasons.Add(Reported(task));
        }

        return reasons;
    }

    private static List<string> Todo(TaskDto task, WhyFacts facts, DateTimeOffset now)
    {
        var reasons = new List<string>();
        if (task.AssignedTo is null)
        {
            reasons.Add($"not assigned to an agent: assign one with `ak update task {task.Id} --assign-to AGENT`");
        }

        var blockers = facts.Dependencies.Where(d => d.Status is not (TaskStatusNames.Done or TaskStatusNames.Cancelled)).ToList();
        if (blockers.Count > 0)
        {
            reasons.Add("blocked by " + string.Join(", ", blockers.Select(d => $"{d.Id} ({d.Status}: {d.Title})")));
        }
        else if (task.Blocked)
        {
            reasons.Add("blocked by " + string.Join(", ", task.DependsOn));
        }

        if (task.ScheduledAt is { } at && at > now)
        {
            reasons.Add($"scheduled for {Age.Stamp(at)} (in {Age.Format(at - now)})");
        }

        if (task.Why is not null)
        {
            reasons.Add(Reported(task));
        }

        if (task.Lease is { } lease)
        {
            reasons.Add($"starting: machine {MachineName(lease.MachineId, facts.Machines)} holds its lease until {Age.Stamp(lease.ExpiresAt)}");
        }

        if (reasons.Count == 0)
        {
            reasons.Add(WaitingForMachine(facts));
        }

        return reasons;
    }

    private static string WaitingForMachine(WhyFacts facts)
    {
        var agent = facts.Assignee;
        if (agent is null)
        {
            return "waiting for a machine to pick it up";
        }

        var who = $"agent {agent.Username} ({agent.Runtime})";
        if (facts.Machines is not { } machines)
        {
            return $"waiting for a machine that runs {who}";
        }

        if (machines.Count == 0)
        {
            return $"waiting for a machine: none is registered (start one with `ak daemon run`); {who} needs one with {agent.Runtime}";
        }

        var online = machines.Where(m => m.Status == "online").ToList();
        if (online.Count == 0)
        {
            return $"waiting for a machine: none of the {machines.Count} registered is online; {who} needs one with {agent.Runtime}";
        }

        var runtimes = online.SelectMany(m => m.Runtimes.Where(r => r.Name == agent.Runtime).Select(r => (Machine: m, Runtime: r))).ToList();
        if (runtimes.Count == 0)
        {
            return $"waiting for a machine: no online machine has {agent.Runtime} installed, which {who} needs";
        }

        if (runtimes.All(r => r.Runtime.Status != "ready"))
        {
            var states = string.Join(", ", runtimes.Select(r =>
                $"{r.Machine.Name}: {r.Runtime.Status}{(r.Runtime.ResetAt is { } reset ? $" until {Age.Stamp(reset)}" : "")}"));
            return $"waiting for a machine: {agent.Runtime} is not ready anywhere ({states})";
        }

        var ready = runtimes.Count(r => r.Runtime.Status == "ready");
        return $"waiting for a machine to pick it up ({ready} online with {agent.Runtime} ready)";
    }

    private static string Reported(TaskDto task) =>
        task.WhyAt is { } at ? $"{task.Why} (reported {Age.Stamp(at)})" : task.Why!;

    private static string MachineName(string id, IReadOnlyList<MachineDto>? machines) =>
        machines?.FirstOrDefault(m => m.Id == id) is { } m ? $"{m.Name} ({id})" : id;
}
