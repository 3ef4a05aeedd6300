using System.CommandLine;
using AgentKanban.Cli.Config;
using AgentKanban.Cli.Hosting;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;

namespace AgentKanban.Cli.Commands;

/// <summary>
/// <c>ak server</c> and <c>ak up</c>. The records here hold only plain values and call into
/// <see cref="ServerLauncher"/>, so the server assemblies load only when one of these commands runs.
/// </summary>
public static class ServerCommands
{
    public const int DefaultPort = 7420;

    public static Command BuildServer(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var command = new Command("server", """
            Run the board server in the foreground until Ctrl+C or SIGTERM.
            On first start with an empty store it writes an admin token to DIR/admin-token (mode 0600).

            Examples:
              ak server --data /var/lib/agent-kanban --urls http://127.0.0.1:7420
              ak server --data /srv/ak --db "Host=db;Database=ak;Username=ak;Password=…" --urls http://0.0.0.0:7420
            """);
        var data = CommonOptions.Optional("--data", "Data directory (SQLite file, admin token); default: $XDG_DATA_HOME/agent-kanban", "DIR");
        var db = CommonOptions.Optional("--db", "PostgreSQL connection string (default: SQLite in DIR)", "CONNECTION_STRING");
        var urls = CommonOptions.Optional("--urls", $"Address to listen on (default: http://127.0.0.1:{DefaultPort})", "URL");
        command.Add(data);
        command.Add(db);
        command.Add(urls);
        parser.Bind(command, r => new RunServer(r.GetValue(data), r.GetValue(db), r.GetValue(urls) ?? $"http://127.0.0.1:{DefaultPort}"));
        return command;
    }

    public static Command BuildUp(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var command = new Command("up", """
            Start everything on this machine: the board server on embedded SQLite, listening on 127.0.0.1.
            Saves the server URL and the admin token in the CLI config, so `ak` commands work right away.
            Runs until Ctrl+C.

            Example:
              ak up                 (data in $XDG_DATA_HOME/agent-kanban, port 7420)
            """);
        var data = CommonOptions.Optional("--data", "Data directory (default: $XDG_DATA_HOME/agent-kanban)", "DIR");
        var port = new Option<int>("--port") { Description = $"Port on 127.0.0.1 (default: {DefaultPort}; 0 picks a free one)", HelpName = "N", DefaultValueFactory = _ => DefaultPort };
        port.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value is < 0 or > 65535)
            {
                result.AddError($"--port: {value} is not a port number (0-65535).");
            }
        });
        command.Add(data);
        command.Add(port);
        parser.Bind(command, r => new RunUp(r.GetValue(data), r.GetValue(port), CommonOptions.Output(r, parser.Output)));
        return command;
    }
}

public sealed record RunServer(string? DataDir, string? ConnectionString, string Urls) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dataDir = Path.GetFullPath(DataDir ?? ConfigPaths.DataDirectory(context.Env));
        return ServerLauncher.RunServerAsync(dataDir, ConnectionString, Urls, cancellationToken);
    }
}

public sealed record RunUp(string? DataDir, int Port, OutputFormat Output) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dataDir = Path.GetFullPath(DataDir ?? ConfigPaths.DataDirectory(context.Env));
        return ServerLauncher.RunUpAsync(context, dataDir, Port, Output, cancellationToken);
    }
}
