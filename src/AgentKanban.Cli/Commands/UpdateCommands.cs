using System.CommandLine;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Cli.Resources;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak update KIND ID --flags</c>: changes only the given fields and prints the result.</summary>
public static class UpdateCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var update = new Command("update", "Change fields of a task, board or agent; fields not given stay as they are.");
        update.Add(Task(parser));
        update.Add(Board(parser));
        update.Add(Agent(parser));
        return update;
    }

    private static Command Task(CliParser parser)
    {
        var command = new Command("task", """
            Change a task. An empty value clears a field (--labels "" removes all labels).
            --depends-on replaces the whole set; a dependency cycle is refused.

            Examples:
              ak update task 3f9c2a7d1b0e --title "Fix login" --labels bug
              ak update task 3f9c2a7d1b0e --depends-on 8d1e4b2c9a77 --assign-to claude-1
            """);
        CreateCommands.Aliases(command, ResourceNames.Task);
        var id = CommonOptions.Id("ID", "Task id");
        var title = CommonOptions.Optional("--title", "New title", "TITLE");
        var description = CommonOptions.Optional("--description", "New description", "TEXT");
        var labels = CommonOptions.List("--labels", "Comma-separated labels (replaces them)", "a,b");
        var dependsOn = CommonOptions.List("--depends-on", "Comma-separated task ids (replaces them)", "ID,ID");
        var assignTo = CommonOptions.Optional("--assign-to", "Agent id or username (empty: unassign)", "AGENT");
        var scheduledAt = CommonOptions.Optional("--scheduled-at", "ISO-8601 time with zone (empty: clear)", "ISO8601");
        var prUrl = CommonOptions.Optional("--pr-url", "Pull request URL", "URL");
        var repo = CommonOptions.Optional("--repo", "Repository id, name, URL or path", "REPO");
        var position = new Option<long?>("--position") { Description = "Position in its column", HelpName = "N" };
        command.Add(id);
        foreach (var option in new Option[] { title, description, labels, dependsOn, assignTo, scheduledAt, prUrl, repo, position })
        {
            command.Add(option);
        }

        parser.Bind(command, r =>
        {
            var scheduled = r.GetValue(scheduledAt);
            if (!string.IsNullOrEmpty(scheduled))
            {
                _ = Timestamps.ParseOrUsage(scheduled, "--scheduled-at");
            }

            var request = new UpdateTaskRequest
            {
                Title = r.GetValue(title),
                Description = r.GetValue(description),
                Labels = CommonOptions.ListValue(r, labels),
                DependsOn = CommonOptions.ListValue(r, dependsOn),
                AssignedTo = r.GetValue(assignTo),
                ScheduledAt = scheduled,
                PrUrl = r.GetValue(prUrl),
                RepositoryId = r.GetValue(repo),
                Position = r.GetValue(position),
            };
            return request == new UpdateTaskRequest()
                ? throw new UsageException("nothing to update: give at least one of --title, --description, --labels, --depends-on, --assign-to, --scheduled-at, --pr-url, --repo, --position")
                : new UpdateTask(r.GetValue(id)!, request, CommonOptions.Output(r, parser.Output));
        });
        return command;
    }

    private static Command Board(CliParser parser)
    {
        var command = new Command("board", "Rename a board or change its description.");
        CreateCommands.Aliases(command, ResourceNames.Board);
        var id = CommonOptions.Id("ID", "Board id or name");
        var name = CommonOptions.Optional("--name", "New name", "NAME");
        var description = CommonOptions.Optional("--description", "New description", "TEXT");
        command.Add(id);
        command.Add(name);
        command.Add(description);
        parser.Bind(command, r =>
        {
            var request = new UpdateBoardRequest(r.GetValue(name), r.GetValue(description));
            return request == new UpdateBoardRequest()
                ? throw new UsageException("nothing to update: give --name or --description")
                : new UpdateBoard(r.GetValue(id)!, request, CommonOptions.Output(r, parser.Output));
        });
        return command;
    }

    private static Command Agent(CliParser parser)
    {
        var command = new Command("agent", "Change an agent's profile.");
        CreateCommands.Aliases(command, ResourceNames.Agent);
        var id = CommonOptions.Id("ID", "Agent id or username");
        var name = CommonOptions.Optional("--name", "Display name", "NAME");
        var runtime = CommonOptions.Optional("--runtime", "Agent CLI", "claude|codex|gemini|copilot|acp");
        runtime.AcceptOnlyFromAmong([.. RuntimeNames.All]);
        var kind = CommonOptions.Optional("--kind", "worker or leader", "worker|leader");
        kind.AcceptOnlyFromAmong(CreateCommands.AgentKinds);
        var model = CommonOptions.Optional("--model", "Model", "MODEL");
        var role = CommonOptions.Optional("--role", "Role", "ROLE");
        var instructions = CommonOptions.Optional("--instructions", "Standing instructions", "TEXT");
        var permissionMode = CommonOptions.Optional("--permission-mode", "Runtime permission mode", "MODE");
        var agentCommand = CommonOptions.Optional("--command", "For runtime acp: the ACP agent's command line (\"\" = the daemon's default)", "COMMAND");
        command.Add(id);
        foreach (var option in new Option[] { name, runtime, kind, model, role, instructions, permissionMode, agentCommand })
        {
            command.Add(option);
        }

        parser.Bind(command, r =>
        {
            var request = new UpdateAgentRequest
            {
                Name = r.GetValue(name),
                Runtime = r.GetValue(runtime),
                Kind = r.GetValue(kind),
                Model = r.GetValue(model),
                Role = r.GetValue(role),
                Instructions = r.GetValue(instructions),
                PermissionMode = r.GetValue(permissionMode),
                Command = r.GetValue(agentCommand),
            };
            return request == new UpdateAgentRequest()
                ? throw new UsageException("nothing to update: give at least one of --name, --runtime, --kind, --model, --role, --instructions, --permission-mode, --command")
                : new UpdateAgent(r.GetValue(id)!, request, CommonOptions.Output(r, parser.Output));
        });
        return command;
    }
}

public sealed record UpdateTask(string Id, UpdateTaskRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        var request = Request;
        if (!string.IsNullOrEmpty(request.AssignedTo))
        {
            request = request with { AssignedTo = await Resolve.AgentIdAsync(client, request.AssignedTo, cancellationToken) };
        }

        if (!string.IsNullOrEmpty(request.RepositoryId))
        {
            request = request with { RepositoryId = await Resolve.RepositoryIdAsync(client, request.RepositoryId, cancellationToken) };
        }

        var task = await client.UpdateTaskAsync(Id, request, cancellationToken);
        var view = await GetTasks.TaskViewAsync(context, Output, [task.AssignedTo], cancellationToken);
        ResourcePrinter.WriteOne(context.Out, view, task, Output);
        return 0;
    }
}

public sealed record UpdateBoard(string Id, UpdateBoardRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var board = await context.Client.UpdateBoardAsync(Id, Request, cancellationToken);
        ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Board, board, Output);
        return 0;
    }
}

public sealed record UpdateAgent(string Id, UpdateAgentRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var agent = await context.Client.UpdateAgentAsync(Id, Request, cancellationToken);
        ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Agent, agent, Output);
        return 0;
    }
}
