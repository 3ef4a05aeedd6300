using System.CommandLine;
using AgentKanban.Client;
using AgentKanban.Cli.Apply;
using AgentKanban.Cli.Config;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Cli.Resources;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak apply -f FILE|-</c>: creates (no <c>spec.id</c>) or updates (<c>spec.id</c>) every document, in order.</summary>
public static class ApplyCommand
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var command = new Command("apply", """
            Create or update resources from YAML or JSON documents ({kind, spec}); kinds: Board, Task, Agent, Repo, Label.
            A spec with an id updates that resource; without one it creates it. Spec keys may be snake_case or camelCase.
            Every document is checked before anything is sent. `ak get … -o yaml` prints documents this reads back.

            Example (tasks.yaml):
              kind: Task
              spec:
                board: web
                title: Fix login redirect
                labels: [bug]
              ---
              kind: Task
              spec:
                id: 3f9c2a7d1b0e
                title: Renamed task

              ak apply -f tasks.yaml      (or: cat tasks.yaml | ak apply -f -)
            """);
        var file = new Option<string>("--filename", "-f") { Description = "File to apply, or - for standard input", HelpName = "FILE|-", Required = true };
        command.Add(file);
        parser.Bind(command, r => new ApplyFile(r.GetValue(file)!, CommonOptions.Output(r, parser.Output)));
        return command;
    }
}

public sealed record ApplyFile(string File, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var source = File == "-" ? "<stdin>" : File;
        string text;
        try
        {
            text = File == "-" ? await context.In.ReadToEndAsync(cancellationToken) : await System.IO.File.ReadAllTextAsync(File, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailureException($"cannot read {source}: {e.Message}", e);
        }

        var steps = ApplyPlanner.Plan(ApplyDocuments.Read(text, source), source);
        var client = context.Client;
        var results = new List<AppliedResource>();
        foreach (var step in steps)
        {
            AppliedResource result;
            try
            {
                result = await ApplyAsync(client, step, cancellationToken);
            }
            catch (ServerApiException e) when (e.IsErrorAnswer)
            {
                throw new CliFailureException($"{step.Where}: {e.Message}", e);
            }

            results.Add(result);
            if (Output is OutputFormat.Table or OutputFormat.Wide or OutputFormat.Name)
            {
                context.Out.WriteLine($"{result.Kind}/{result.Id} {result.Action}");
            }
        }

        if (Output == OutputFormat.Json)
        {
            JsonOutput.WriteMany(context.Out, results, CliJsonContext.Default.AppliedResource);
        }
        else if (Output == OutputFormat.Yaml)
        {
            YamlJson.WriteDocuments(context.Out, results.Select(r => System.Text.Json.JsonSerializer.SerializeToNode(r, CliJsonContext.Default.AppliedResource)));
        }

        return 0;
    }

    private static async Task<AppliedResource> ApplyAsync(BoardApiClient client, ApplyStep step, CancellationToken ct)
    {
        switch (step)
        {
            case TaskStep { Create: { } create }:
            {
                if (create.RepositoryId is { } repo && Resolve.LooksLikeLocation(repo))
                {
                    create = create with { RepositoryId = await Resolve.RepositoryIdAsync(client, repo, ct) };
                }

                var task = await client.CreateTaskAsync(create, ct);
                return new AppliedResource("task", task.Id, "created", task.Title);
            }

            case TaskStep { Id: { } id, Update: { } update }:
            {
                if (!string.IsNullOrEmpty(update.RepositoryId) && Resolve.LooksLikeLocation(update.RepositoryId))
                {
                    update = update with { RepositoryId = await Resolve.RepositoryIdAsync(client, update.RepositoryId, ct) };
                }

                var task = await client.UpdateTaskAsync(id, update, ct);
                return new AppliedResource("task", task.Id, "updated", task.Title);
            }

            case BoardStep board:
                return await ApplyBoardAsync(client, board, ct);

            case AgentStep { Create: { } create }:
            {
                var agent = await client.CreateAgentAsync(create, ct);
                return new AppliedResource("agent", agent.Id, "created", agent.Username);
            }

            case AgentStep { Id: { } id, Update: { } update }:
            {
                var agent = await client.UpdateAgentAsync(id, update, ct);
                return new AppliedResource("agent", agent.Id, "updated", agent.Username);
            }

            case RepoStep { Id: { } id } repoStep:
            {
                // Repositories have no update: an existing one is left as it is.
                var repo = await client.GetRepositoryAsync(id, ct);
                if (repoStep.Create.Url is { } url && Resolve.NormalizeLocation(url) != repo.Url && url != repo.Url)
                {
                    throw new CliFailureException($"{step.Where}: a repository's url cannot be changed (it is {repo.Url}); create a new one");
                }

                return new AppliedResource("repo", repo.Id, "unchanged", repo.Name);
            }

            case RepoStep repoStep:
            {
                var request = repoStep.Create with { Url = Resolve.NormalizeLocation(repoStep.Create.Url!) };
                var repo = await client.CreateRepositoryAsync(request, ct);
                return new AppliedResource("repo", repo.Id, "created", repo.Name);
            }

            case LabelStep label:
            {
                var board = await client.GetBoardAsync(label.Board, ct);
                if (board.Labels.Any(l => l.Name == label.Create.Name))
                {
                    return new AppliedResource("label", label.Create.Name!, "unchanged", board.Name);
                }

                await client.AddLabelAsync(board.Id, label.Create, ct);
                return new AppliedResource("label", label.Create.Name!, "created", board.Name);
            }

            default:
                throw new InvalidOperationException($"unexpected apply step {step.GetType().Name}");
        }
    }

    private static async Task<AppliedResource> ApplyBoardAsync(BoardApiClient client, BoardStep step, CancellationToken ct)
    {
        Contracts.BoardDto board;
        string action;
        if (step.Create is { } create)
        {
            board = await client.CreateBoardAsync(create, ct);
            action = "created";
        }
        else
        {
            var update = step.Update!;
            board = update.Name is null && update.Description is null
                ? await client.GetBoardAsync(step.Id!, ct)
                : await client.UpdateBoardAsync(step.Id!, update, ct);
            action = update.Name is null && update.Description is null ? "unchanged" : "updated";
        }

        foreach (var label in step.Labels.Where(l => board.Labels.All(existing => existing.Name != l.Name)))
        {
            board = await client.AddLabelAsync(board.Id, label, ct);
            action = action == "unchanged" ? "updated" : action;
        }

        return new AppliedResource("board", board.Id, action, board.Name);
    }
}
