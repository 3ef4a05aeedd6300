using System.CommandLine;
using AgentKanban.Cli.Config;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak config set|get</c>: the server URL and personal token in <c>${XDG_CONFIG_HOME:-~/.config}/agent-kanban/config.json</c>.</summary>
public static class ConfigCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var config = new Command("config", "Where the CLI connects and with which token. AK_SERVER and AK_TOKEN override the file.");

        var set = new Command("set", "Save the server URL and/or the personal token.\n\nExample:\n  ak config set --server http://127.0.0.1:7420 --token akp_…");
        var server = CommonOptions.Optional("--server", "Board server base URL", "URL");
        var token = CommonOptions.Optional("--token", "Personal token (akp_…)", "TOKEN");
        set.Add(server);
        set.Add(token);
        parser.Bind(set, r =>
        {
            var url = r.GetValue(server);
            var secret = r.GetValue(token);
            if (url is null && secret is null)
            {
                throw new UsageException("give --server, --token or both");
            }

            if (url is not null && !ConnectionSettings.IsValidServer(url))
            {
                throw new UsageException($"--server: '{url}' is not an http(s) URL (e.g. http://127.0.0.1:7420)");
            }

            if (secret is not null && string.IsNullOrWhiteSpace(secret))
            {
                throw new UsageException("--token is empty");
            }

            return new SetConfig(url is null ? null : ConnectionSettings.NormalizeServer(url), secret?.Trim(), CommonOptions.Output(r, parser.Output));
        });
        config.Add(set);

        var get = new Command("get", "Show the effective server and token (masked) and where each comes from.");
        parser.Bind(get, r => new GetConfig(CommonOptions.Output(r, parser.Output)));
        config.Add(get);
        return config;
    }

    /// <summary><c>akp_****wxyz</c>: enough to tell tokens apart, not enough to use one.</summary>
    public static string Mask(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var prefixEnd = token.IndexOf('_', StringComparison.Ordinal);
        var prefix = prefixEnd is > 0 and <= 4 ? token[..(prefixEnd + 1)] : "";
        return token.Length - prefix.Length < 12 ? prefix + "****" : prefix + "****" + token[^4..];
    }
}

public sealed record SetConfig(string? Server, string? Token, OutputFormat Output) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var store = context.ConfigStore;
        var current = store.Load();
        var updated = current with { Server = Server ?? current.Server, Token = Token ?? current.Token };
        store.Save(updated);
        return new GetConfig(Output).RunAsync(context, cancellationToken);
    }
}

public sealed record GetConfig(OutputFormat Output) : ICliRun
{
    public Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var store = context.ConfigStore;
        var settings = context.Connection();
        var identity = settings.Session is { } session ? $"agent session {session.SessionId} (from {ConnectionSettings.SessionIdVariable})" : null;
        var view = new ConfigView(
            settings.Server,
            settings.ServerSource,
            settings.Token is null ? null : ConfigCommands.Mask(settings.Token),
            settings.TokenSource,
            store.FilePath,
            identity);
        switch (Output)
        {
            case OutputFormat.Json:
                JsonOutput.WriteOne(context.Out, view, CliJsonContext.Indented.ConfigView);
                break;
            case OutputFormat.Yaml:
                YamlJson.WriteDocuments(context.Out, [System.Text.Json.JsonSerializer.SerializeToNode(view, CliJsonContext.Default.ConfigView)]);
                break;
            default:
                TableWriter.WriteFields(context.Out,
                [
                    ("server", view.Server is null ? "<not set>" : $"{view.Server}   (from {view.ServerSource})"),
                    ("token", view.Token is null ? "<not set>" : $"{view.Token}   (from {view.TokenSource})"),
                    ("identity", view.Identity ?? (view.Token is null ? "none" : "personal token")),
                    ("file", view.Path),
                ]);
                break;
        }

        return Task.FromResult(0);
    }
}
