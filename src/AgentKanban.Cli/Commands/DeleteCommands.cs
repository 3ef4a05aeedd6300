using System.CommandLine;
using AgentKanban.Client;
using AgentKanban.Cli.Config;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Cli.Resources;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak delete KIND ID…</c>. Stops at the first failure (what was deleted before it is reported).</summary>
public static class DeleteCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var delete = new Command("delete", "Delete boards, tasks, agents, repositories, labels or machines.\n\nExamples:\n  ak delete task 3f9c2a7d1b0e\n  ak delete label bug --board web");
        Add(parser, delete, DeleteKind.Board, "Delete boards (and their tasks)", ResourceNames.Board, "Board ids or names");
        Add(parser, delete, DeleteKind.Task, "Delete tasks (only todo or cancelled ones)", ResourceNames.Task, "Task ids");
        Add(parser, delete, DeleteKind.Agent, "Delete agents (their open tasks are unassigned)", ResourceNames.Agent, "Agent ids or usernames");
        Add(parser, delete, DeleteKind.Repo, "Delete repositories", ResourceNames.Repo, "Repository ids, names or URLs");
        Add(parser, delete, DeleteKind.Machine, "Forget machines (their daemons must register again)", ResourceNames.Machine, "Machine ids");

        var label = new Command("label", "Remove labels from a board (and from its tasks)");
        CreateCommands.Aliases(label, ResourceNames.Label);
        var names = CommonOptions.Ids("NAME", "Label names");
        var board = CommonOptions.Required("--board", "Board id or name", "BOARD");
        label.Add(names);
        label.Add(board);
        parser.Bind(label, r => new DeleteResources(DeleteKind.Label, r.GetValue(names)!, r.GetValue(board), CommonOptions.Output(r, parser.Output)));
        delete.Add(label);
        return delete;
    }

    private static void Add(CliParser parser, Command delete, DeleteKind kind, string description, IReadOnlyList<string> aliases, string idsDescription)
    {
        var command = new Command(kind.ToString().ToLowerInvariant(), description);
        CreateCommands.Aliases(command, aliases);
        var ids = CommonOptions.Ids("ID", idsDescription);
        command.Add(ids);
        parser.Bind(command, r => new DeleteResources(kind, r.GetValue(ids)!, null, CommonOptions.Output(r, parser.Output)));
        delete.Add(command);
    }
}

public enum DeleteKind
{
    Board,
    Task,
    Agent,
    Repo,
    Label,
    Machine,
}

public sealed record DeleteResources(DeleteKind Kind, IReadOnlyList<string> Ids, string? Board, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Client;
        var kind = Kind.ToString().ToLowerInvariant();
        var deleted = new List<DeletedResource>();
        foreach (var id in Ids)
        {
            await DeleteOneAsync(client, id, cancellationToken);
            var done = new DeletedResource(kind, id);
            deleted.Add(done);
            if (Output is OutputFormat.Table or OutputFormat.Wide or OutputFormat.Name)
            {
                context.Out.WriteLine($"{kind}/{id} deleted");
            }
        }

        if (Output == OutputFormat.Json)
        {
            if (deleted.Count == 1)
            {
                JsonOutput.WriteOne(context.Out, deleted[0], CliJsonContext.Default.DeletedResource);
            }
            else
            {
                JsonOutput.WriteMany(context.Out, deleted, CliJsonContext.Default.DeletedResource);
            }
        }
        else if (Output == OutputFormat.Yaml)
        {
            YamlJson.WriteDocuments(context.Out, deleted.Select(d => System.Text.Json.JsonSerializer.SerializeToNode(d, CliJsonContext.Default.DeletedResource)));
        }

        return 0;
    }

    private async Task DeleteOneAsync(BoardApiClient client, string id, CancellationToken ct)
    {
        switch (Kind)
        {
            case DeleteKind.Board:
                await client.DeleteBoardAsync(id, ct);
                break;
            case DeleteKind.Task:
                await client.DeleteTaskAsync(id, ct);
                break;
            case DeleteKind.Agent:
                await client.DeleteAgentAsync(id, ct);
                break;
            case DeleteKind.Repo:
                await client.DeleteRepositoryAsync(await Resolve.RepositoryIdAsync(client, id, ct), ct);
                break;
            case DeleteKind.Machine:
                await client.DeleteMachineAsync(id, ct);
                break;
            case DeleteKind.Label:
                await client.DeleteLabelAsync(Board ?? throw new UsageException("--board is required"), id, ct);
                break;
            default:
                throw new InvalidOperationException($"unknown kind {Kind}");
        }
    }
}
