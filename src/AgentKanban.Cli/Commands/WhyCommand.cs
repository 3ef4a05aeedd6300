using System.CommandLine;
using AgentKanban.Cli.Config;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak why TASK</c>: why a task is not running, or what it is doing.</summary>
public static class WhyCommand
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var command = new Command("why", "Explain why a task is not running (blocked, scheduled, no machine, runtime paused…) or what it is doing.\n\nExample:\n  ak why 3f9c2a7d1b0e");
        var id = CommonOptions.OptionalId("TASK", "Task id (default: $AK_TASK_ID)");
        command.Add(id);
        parser.Bind(command, r => new WhyTask(r.GetValue(id), CommonOptions.Output(r, parser.Output)));
        return command;
    }
}

public sealed record WhyTask(string? Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        var task = await client.GetTaskAsync(context.TaskIdOrDefault(Id), cancellationToken);
        var dependencies = new List<TaskDto>();
        if (task.Status == TaskStatusNames.Todo)
        {
            foreach (var dep in task.DependsOn)
            {
                if (await DescribeTask.TryAsync(() => client.GetTaskAsync(dep, cancellationToken)) is { } d)
                {
                    dependencies.Add(d);
                }
            }
        }

        var assignee = task.AssignedTo is null ? null : await DescribeTask.TryAsync(() => client.GetAgentAsync(task.AssignedTo, cancellationToken));
        var machines = task.Status is TaskStatusNames.Todo or TaskStatusNames.InProgress ? await DescribeTask.TryAsync(() => client.ListMachinesAsync(cancellationToken)) : null;
        var report = WhyExplainer.Explain(task, new WhyFacts(dependencies, assignee, machines), context.Time.GetUtcNow());
        switch (Output)
        {
            case OutputFormat.Json:
                JsonOutput.WriteOne(context.Out, report, CliJsonContext.Indented.WhyReport);
                break;
            case OutputFormat.Yaml:
                YamlJson.WriteDocuments(context.Out, [System.Text.Json.JsonSerializer.SerializeToNode(report, CliJsonContext.Default.WhyReport)]);
                break;
            default:
                context.Out.WriteLine($"task {task.Id} ({task.Title}) is {task.Status}:");
                foreach (var reason in report.Reasons)
                {
                    context.Out.WriteLine($"  {reason}");
                }

                break;
        }

        return 0;
    }
}
