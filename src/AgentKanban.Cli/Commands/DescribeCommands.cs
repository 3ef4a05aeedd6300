using System.CommandLine;
using AgentKanban.Client;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Cli.Resources;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak describe KIND ID</c>: a readable page (a task with its activity and messages). <c>-o json|yaml</c> prints the object.</summary>
public static class DescribeCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var describe = new Command("describe", "Show one resource in detail (a task with its activity and messages, a board by column).\n\nExample:\n  ak describe task 3f9c2a7d1b0e");
        Add(parser, describe, "task", "A task: fields, activity and messages", ResourceNames.Task, "Task id", (id, o) => new DescribeTask(id, o));
        Add(parser, describe, "board", "A board: fields, labels and its tasks by status", ResourceNames.Board, "Board id or name", (id, o) => new DescribeBoard(id, o));
        Add(parser, describe, "agent", "An agent: profile, instructions and tasks", ResourceNames.Agent, "Agent id or username", (id, o) => new DescribeAgent(id, o));
        Add(parser, describe, "repo", "A repository", ResourceNames.Repo, "Repository id, name or URL", (id, o) => new DescribeRepo(id, o));
        Add(parser, describe, "machine", "A machine: runtimes and usage windows", ResourceNames.Machine, "Machine id", (id, o) => new DescribeMachine(id, o));
        Add(parser, describe, "session", "An agent session: tokens and cost", ResourceNames.Session, "Session id", (id, o) => new DescribeSession(id, o));
        return describe;
    }

    private static void Add(CliParser parser, Command describe, string name, string description, IReadOnlyList<string> aliases,
        string idDescription, Func<string, OutputFormat, ICliRun> bind)
    {
        var command = new Command(name, description);
        foreach (var alias in aliases)
        {
            command.Aliases.Add(alias);
        }

        var id = CommonOptions.Id("ID", idDescription);
        command.Add(id);
        parser.Bind(command, r => bind(r.GetValue(id)!, CommonOptions.Output(r, parser.Output)));
        describe.Add(command);
    }
}

public sealed record DescribeTask(string Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        var task = await client.GetTaskAsync(Id, cancellationToken);
        if (Output is not (OutputFormat.Table or OutputFormat.Wide))
        {
            ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Task, task, Output);
            return 0;
        }

        var board = await TryAsync(() => client.GetBoardAsync(task.BoardId, cancellationToken));
        var repo = task.RepositoryId is null ? null : await TryAsync(() => client.GetRepositoryAsync(task.RepositoryId, cancellationToken));
        var agents = await Resolve.AgentNamesAsync(client, cancellationToken);
        var dependencies = new Dictionary<string, TaskDto>();
        foreach (var dep in task.DependsOn)
        {
            if (await TryAsync(() => client.GetTaskAsync(dep, cancellationToken)) is { } d)
            {
                dependencies[dep] = d;
            }
        }

        var names = new TaskNames(
            board?.Name,
            repo?.Name,
            task.AssignedTo is not null && agents.TryGetValue(task.AssignedTo, out var assignee) ? assignee : null,
            dependencies,
            agents);
        DescribeWriter.WriteTask(context.Out, task, names, context.Time.GetUtcNow());
        return 0;
    }

    /// <summary>Extra names are a nicety: a failed lookup shows the id instead of failing the page.</summary>
    internal static async Task<T?> TryAsync<T>(Func<Task<T>> lookup)
        where T : class
    {
        try
        {
            return await lookup();
        }
        catch (ServerApiException e) when (e.IsErrorAnswer)
        {
            return null;
        }
    }
}

public sealed record DescribeBoard(string Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var board = await context.Client.GetBoardAsync(Id, cancellationToken);
        if (Output is not (OutputFormat.Table or OutputFormat.Wide))
        {
            ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Board, board, Output);
            return 0;
        }

        var tasks = await context.Client.ListTasksAsync(new TaskFilter(BoardId: board.Id), cancellationToken);
        DescribeWriter.WriteBoard(context.Out, board, tasks, context.Time.GetUtcNow());
        return 0;
    }
}

public sealed record DescribeAgent(string Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var agent = await context.Client.GetAgentAsync(Id, cancellationToken);
        if (Output is not (OutputFormat.Table or OutputFormat.Wide))
        {
            ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Agent, agent, Output);
            return 0;
        }

        var tasks = await context.Client.ListTasksAsync(new TaskFilter(AssignedTo: agent.Id), cancellationToken);
        DescribeWriter.WriteAgent(context.Out, agent, tasks, context.Time.GetUtcNow());
        return 0;
    }
}

public sealed record DescribeRepo(string Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = await Resolve.RepositoryIdAsync(context.Client, Id, cancellationToken);
        var repo = await context.Client.GetRepositoryAsync(id, cancellationToken);
        if (Output is not (OutputFormat.Table or OutputFormat.Wide))
        {
            ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Repo, repo, Output);
            return 0;
        }

        var tasks = await context.Client.ListTasksAsync(new TaskFilter(RepositoryId: repo.Id), cancellationToken);
        DescribeWriter.WriteRepository(context.Out, repo, tasks);
        return 0;
    }
}

public sealed record DescribeMachine(string Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var machine = await context.Client.GetMachineAsync(Id, cancellationToken);
        if (Output is not (OutputFormat.Table or OutputFormat.Wide))
        {
            ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Machine, machine, Output);
            return 0;
        }

        DescribeWriter.WriteMachine(context.Out, machine, context.Time.GetUtcNow());
        return 0;
    }
}

public sealed record DescribeSession(string Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var session = await context.Client.GetSessionAsync(Id, cancellationToken);
        if (Output is not (OutputFormat.Table or OutputFormat.Wide))
        {
            ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Session, session, Output);
            return 0;
        }

        DescribeWriter.WriteSession(context.Out, session);
        return 0;
    }
}
