using AgentKanban.Client;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Resources;

namespace AgentKanban.Cli.Commands;

/// <summary>Task list filters as typed (names are resolved to ids when the command runs).</summary>
public sealed record TaskQuery(string? Board = null, string? Status = null, string? Label = null, string? AssignedTo = null, string? Repo = null);

/// <summary>Session list filters as typed.</summary>
public sealed record SessionQuery(string? Task = null, string? Agent = null, string? Machine = null, string? Status = null);

public sealed record GetBoards(string? Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var view = new Views(context.Time.GetUtcNow()).Board;
        if (Id is not null)
        {
            ResourcePrinter.WriteOne(context.Out, view, await context.Client.GetBoardAsync(Id, cancellationToken), Output);
        }
        else
        {
            ResourcePrinter.WriteMany(context.Out, context.Error, view, await context.Client.ListBoardsAsync(null, cancellationToken), Output);
        }

        return 0;
    }
}

public sealed record GetTasks(string? Id, TaskQuery Query, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        if (Id is not null)
        {
            var task = await client.GetTaskAsync(Id, cancellationToken);
            var one = await TaskViewAsync(context, Output, [task.AssignedTo], cancellationToken);
            ResourcePrinter.WriteOne(context.Out, one, task, Output);
            return 0;
        }

        var filter = new TaskFilter(
            Query.Board is null ? null : await Resolve.BoardIdAsync(client, Query.Board, cancellationToken),
            Query.Status,
            Query.Label,
            Query.AssignedTo is null ? null : await Resolve.AgentIdAsync(client, Query.AssignedTo, cancellationToken),
            Query.Repo is null ? null : await Resolve.RepositoryIdAsync(client, Query.Repo, cancellationToken));
        var tasks = await client.ListTasksAsync(filter, cancellationToken);
        var view = await TaskViewAsync(context, Output, tasks.Select(t => t.AssignedTo), cancellationToken);
        ResourcePrinter.WriteMany(context.Out, context.Error, view, tasks, Output);
        return 0;
    }

    /// <summary>Tables show assignees by username; that costs one extra request, so only tables pay it.</summary>
    internal static async Task<ResourceView<Contracts.TaskDto>> TaskViewAsync(
        CliContext context, OutputFormat output, IEnumerable<string?> assignees, CancellationToken ct)
    {
        IReadOnlyDictionary<string, string>? names = null;
        if ((output is OutputFormat.Table or OutputFormat.Wide) && assignees.Any(a => a is not null))
        {
            names = await Resolve.AgentNamesAsync(context.Client, ct);
        }

        return new Views(context.Time.GetUtcNow(), names).Task;
    }
}

public sealed record GetAgents(string? Id, string? Runtime, string? Kind, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var view = new Views(context.Time.GetUtcNow()).Agent;
        if (Id is not null)
        {
            ResourcePrinter.WriteOne(context.Out, view, await context.Client.GetAgentAsync(Id, cancellationToken), Output);
        }
        else
        {
            var agents = await context.Client.ListAgentsAsync(Runtime, Kind, null, cancellationToken);
            ResourcePrinter.WriteMany(context.Out, context.Error, view, agents, Output);
        }

        return 0;
    }
}

public sealed record GetRepos(string? Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        var view = new Views(context.Time.GetUtcNow()).Repo;
        if (Id is not null)
        {
            var id = await Resolve.RepositoryIdAsync(client, Id, cancellationToken);
            ResourcePrinter.WriteOne(context.Out, view, await client.GetRepositoryAsync(id, cancellationToken), Output);
        }
        else
        {
            ResourcePrinter.WriteMany(context.Out, context.Error, view, await client.ListRepositoriesAsync(null, null, cancellationToken), Output);
        }

        return 0;
    }
}

public sealed record GetLabels(string Board, string? Name, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var board = await context.Client.GetBoardAsync(Board, cancellationToken);
        if (Name is not null)
        {
            var label = board.Labels.FirstOrDefault(l => l.Name == Name)
                ?? throw new CliFailureException($"board '{board.Name}' has no label '{Name}'");
            ResourcePrinter.WriteOne(context.Out, Views.Label, label, Output);
        }
        else
        {
            ResourcePrinter.WriteMany(context.Out, context.Error, Views.Label, board.Labels, Output);
        }

        return 0;
    }
}

/// <summary><c>ak get models --runtime R</c>: asks this machine's CLI of that runtime (found as the daemon finds it).</summary>
public sealed record GetModels(string Runtime, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var runtime = Agents.Runtimes.AgentRuntimes.Find(Runtime)
            ?? throw new CliFailureException($"this ak has no adapter for runtime {Runtime}");
        var executable = Daemon.Runtimes.RuntimeCatalog.Discover(null, context.Env).ExecutableFor(Runtime)
            ?? throw new CliFailureException($"{Runtime} is not installed here: `{runtime.ExecutableName}` is not on PATH (or name it with {Daemon.Runtimes.RuntimeCatalog.OverridePrefix}{Runtime.ToUpperInvariant()}=PATH)");
        var models = await runtime.ListModelsAsync(executable, context.Env, cancellationToken)
            ?? throw new CliFailureException($"the {Runtime} CLI has no way to list its models; give the agent a model name its documentation lists (ak update agent NAME --model M)");
        ResourcePrinter.WriteMany(context.Out, context.Error, Views.Model,
            [.. models.Select(m => new Contracts.RuntimeModelDto(Runtime, m.Id, m.DisplayName, m.Description))], Output);
        return 0;
    }
}

public sealed record GetMachines(string? Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var view = new Views(context.Time.GetUtcNow()).Machine;
        if (Id is not null)
        {
            ResourcePrinter.WriteOne(context.Out, view, await context.Client.GetMachineAsync(Id, cancellationToken), Output);
        }
        else
        {
            ResourcePrinter.WriteMany(context.Out, context.Error, view, await context.Client.ListMachinesAsync(cancellationToken), Output);
        }

        return 0;
    }
}

public sealed record GetSessions(string? Id, SessionQuery Query, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        IReadOnlyDictionary<string, string>? names = (Output is OutputFormat.Table or OutputFormat.Wide)
            ? await Resolve.AgentNamesAsync(client, cancellationToken)
            : null;
        var view = new Views(context.Time.GetUtcNow(), names).Session;
        if (Id is not null)
        {
            ResourcePrinter.WriteOne(context.Out, view, await client.GetSessionAsync(Id, cancellationToken), Output);
            return 0;
        }

        var filter = new SessionFilter(
            Query.Task,
            Query.Agent is null ? null : await Resolve.AgentIdAsync(client, Query.Agent, cancellationToken),
            Query.Machine,
            Query.Status);
        ResourcePrinter.WriteMany(context.Out, context.Error, view, await client.ListSessionsAsync(filter, cancellationToken), Output);
        return 0;
    }
}

public sealed record GetUsers(string? Id, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var view = new Views(context.Time.GetUtcNow()).User;
        if (Id is not null)
        {
            ResourcePrinter.WriteOne(context.Out, view, await context.Client.GetUserAsync(Id, cancellationToken), Output);
        }
        else
        {
            ResourcePrinter.WriteMany(context.Out, context.Error, view, await context.Client.ListUsersAsync(cancellationToken), Output);
        }

        return 0;
    }
}
