using System.CommandLine;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak whoami</c>: who the server thinks is calling (user, machine, worker or leader session).</summary>
public static class WhoAmICommand
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var command = new Command("whoami", "Show the identity the server sees for the current credentials.");
        parser.Bind(command, r => new WhoAmI(CommonOptions.Output(r, parser.Output)));
        return command;
    }
}

public sealed record WhoAmI(OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var me = await context.Client.WhoAmIAsync(cancellationToken);
        switch (Output)
        {
            case OutputFormat.Json:
                JsonOutput.WriteOne(context.Out, me, ContractsJsonContext.Default.WhoAmIDto);
                break;
            case OutputFormat.Yaml:
                YamlJson.WriteDocuments(context.Out, [System.Text.Json.JsonSerializer.SerializeToNode(me, ContractsJsonContext.Default.WhoAmIDto)]);
                break;
            default:
                TableWriter.WriteFields(context.Out,
                [
                    ("kind", me.Kind),
                    ("id", me.Id),
                    ("name", me.Name),
                    ("task", me.TaskId),
                    ("session", me.SessionId),
                    ("server", context.Client.ServerUrl),
                ]);
                break;
        }

        return 0;
    }
}
