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
        var leaseTtl = LeaseTtlOption();
        var webhookSecret = CommonOptions.Optional("--github-webhook-secret-file",
            "Accept GitHub pull_request webhooks at POST /api/webhooks/github, signed with the secret in FILE (merged → task done, closed → cancelled)",
            "FILE");
        command.Add(data);
        command.Add(db);
        command.Add(urls);
        command.Add(leaseTtl);
        command.Add(webhookSecret);
        parser.Bind(command, r => new RunServer(r.GetValue(data), r.GetValue(db), r.GetValue(urls) ?? $"http://127.0.0.1:{DefaultPort}",
            ParseLeaseTtl(r.GetValue(leaseTtl)), r.GetValue(webhookSecret)));
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
        var leaseTtl = LeaseTtlOption();
        var sandbox = new DaemonCommands.SandboxFlags();
        command.Add(data);
        command.Add(port);
        command.Add(leaseTtl);
        sandbox.AddTo(command);
        parser.Bind(command, r => new RunUp(r.GetValue(data), r.GetValue(port), CommonOptions.Output(r, parser.Output), ParseLeaseTtl(r.GetValue(leaseTtl)),
            sandbox.Read(r)));
        return command;
    }

    private static Option<string?> LeaseTtlOption() => CommonOptions.Optional("--lease-ttl",
        "How long a dispatch lease lives without a heartbeat from its machine (6s, 90s, 5m; default 5m). Daemons renew at a " +
        "third of it and stop their agents when they cannot renew, so a shorter lease hands a dead machine's work on sooner", "DURATION");

    private static TimeSpan? ParseLeaseTtl(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!Durations.TryParse(text, out var ttl) || ttl is null)
        {
            throw new UsageException($"--lease-ttl: '{text}' is not a duration (e.g. 6s, 5m)");
        }

        return ttl < MinimumLeaseTtl
            ? throw new UsageException($"--lease-ttl: {text} is too short; the shortest lease is {MinimumLeaseTtl.TotalSeconds:0} s")
            : ttl;
    }

    /// <summary>Below this, a heartbeat every third of the lease would not survive one slow request.</summary>
    public static readonly TimeSpan MinimumLeaseTtl = TimeSpan.FromSeconds(3);
}

public sealed record RunServer(string? DataDir, string? ConnectionString, string Urls, TimeSpan? LeaseTtl = null, string? GitHubWebhookSecretFile = null) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dataDir = Path.GetFullPath(DataDir ?? ConfigPaths.DataDirectory(context.Env));
        var secret = GitHubWebhookSecretFile is null ? null : await ReadSecretAsync(GitHubWebhookSecretFile, cancellationToken);
        return await ServerLauncher.RunServerAsync(dataDir, ConnectionString, Urls, LeaseTtl, cancellationToken, secret);
    }

    /// <summary>The webhook secret: the file's text without its trailing line break; an empty or unreadable file is an error.</summary>
    private static async Task<string> ReadSecretAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliFailureException($"--github-webhook-secret-file: cannot read {path}: {e.Message}");
        }

        text = text.TrimEnd('\r', '\n');
        return text.Length > 0 ? text : throw new CliFailureException($"--github-webhook-secret-file: {path} is empty");
    }
}

public sealed record RunUp(string? DataDir, int Port, OutputFormat Output, TimeSpan? LeaseTtl = null, SandboxChoice? Sandbox = null) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dataDir = Path.GetFullPath(DataDir ?? ConfigPaths.DataDirectory(context.Env));
        return ServerLauncher.RunUpAsync(context, dataDir, Port, Output, LeaseTtl, Sandbox ?? SandboxChoice.Default, cancellationToken);
    }
}
