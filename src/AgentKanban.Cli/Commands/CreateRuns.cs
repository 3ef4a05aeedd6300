using AgentKanban.Cli.Output;
using AgentKanban.Cli.Resources;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Commands;

public sealed record CreateBoard(CreateBoardRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var board = await context.Client.CreateBoardAsync(Request, cancellationToken);
        ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Board, board, Output);
        return 0;
    }
}

public sealed record CreateRepo(CreateRepositoryRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = Request with { Url = Request.Url is null ? null : Resolve.NormalizeLocation(Request.Url) };
        var repo = await context.Client.CreateRepositoryAsync(request, cancellationToken);
        ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Repo, repo, Output);
        return 0;
    }
}

public sealed record CreateAgent(CreateAgentRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var agent = await context.Client.CreateAgentAsync(Request, cancellationToken);
        ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).Agent, agent, Output);
        return 0;
    }
}

public sealed record CreateTask(CreateTaskRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        var request = Request;
        // The server takes board, repository and assignee by id or name; only a repository URL or path needs a lookup.
        if (request.RepositoryId is { } repo && Resolve.LooksLikeLocation(repo))
        {
            request = request with { RepositoryId = await Resolve.RepositoryIdAsync(client, repo, cancellationToken) };
        }

        var task = await client.CreateTaskAsync(request, cancellationToken);
        var view = await GetTasks.TaskViewAsync(context, Output, [task.AssignedTo], cancellationToken);
        ResourcePrinter.WriteOne(context.Out, view, task, Output);
        return 0;
    }
}

public sealed record CreateLabel(string Board, CreateLabelRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var board = await context.Client.AddLabelAsync(Board, Request, cancellationToken);
        var label = board.Labels.FirstOrDefault(l => l.Name == Request.Name) ?? new LabelDto(Request.Name ?? "", Request.Color ?? "", Request.Description);
        ResourcePrinter.WriteOne(context.Out, Views.Label, label, Output);
        return 0;
    }
}

public sealed record CreateUser(CreateUserRequest Request, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var created = await context.Client.CreateUserAsync(Request, cancellationToken);
        switch (Output)
        {
            case OutputFormat.Json:
                JsonOutput.WriteOne(context.Out, created, ContractsJsonContext.Default.UserWithTokenDto);
                break;
            case OutputFormat.Yaml:
                ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).User, created.User, Output);
                context.Out.WriteLine($"# token (shown once): {created.Token}");
                break;
            default:
                ResourcePrinter.WriteOne(context.Out, new Views(context.Time.GetUtcNow()).User, created.User, Output);
                context.Out.WriteLine();
                context.Out.WriteLine($"Token (shown once, keep it safe): {created.Token}");
                break;
        }

        return 0;
    }
}
