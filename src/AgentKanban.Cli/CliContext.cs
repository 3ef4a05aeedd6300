using AgentKanban.Cli.Api;
using AgentKanban.Cli.Config;
using AgentKanban.Client;

namespace AgentKanban.Cli;

/// <summary>
/// Everything a command may touch: its streams, its environment, the clock, and (made on first use) the
/// API client. Tests build one with string writers and a dictionary environment.
/// </summary>
public sealed class CliContext : IDisposable
{
    private BoardApiClient? _client;

    public CliContext(
        TextWriter stdout,
        TextWriter stderr,
        IReadOnlyDictionary<string, string?> env,
        TextReader? stdin = null,
        TimeProvider? time = null,
        HttpMessageHandler? httpHandler = null)
    {
        Out = stdout ?? throw new ArgumentNullException(nameof(stdout));
        Error = stderr ?? throw new ArgumentNullException(nameof(stderr));
        Env = env ?? throw new ArgumentNullException(nameof(env));
        In = stdin ?? TextReader.Null;
        Time = time ?? TimeProvider.System;
        HttpHandler = httpHandler;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public TextReader In { get; }

    public IReadOnlyDictionary<string, string?> Env { get; }

    public TimeProvider Time { get; }

    /// <summary>Optional transport for tests; null = a real socket handler.</summary>
    public HttpMessageHandler? HttpHandler { get; }

    public ConfigStore ConfigStore => ConfigStore.For(Env);

    /// <summary>Server and credentials from the environment and the config file.</summary>
    public ConnectionSettings Connection()
    {
        var store = ConfigStore;
        return ConnectionSettings.Resolve(Env, store.Load(), store.FilePath);
    }

    /// <summary>The API client; fails with a clear message when no server is configured.</summary>
    public BoardApiClient Client
    {
        get
        {
            if (_client is not null)
            {
                return _client;
            }

            var settings = Connection();
            if (settings.Server is null)
            {
                throw new CliFailureException(
                    "no server configured: run `ak config set --server URL --token TOKEN` (or `ak up`), or set AK_SERVER");
            }

            if (!ConnectionSettings.IsValidServer(settings.Server))
            {
                throw new CliFailureException($"server address '{settings.Server}' (from {settings.ServerSource}) is not an http(s) URL");
            }

            _client = CliApiClient.Create(settings, Time, HttpHandler);
            return _client;
        }
    }

    /// <summary>The task id from <c>AK_TASK_ID</c>, or a usage error naming what was missing.</summary>
    public string TaskIdOrDefault(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        return ConnectionSettings.DefaultTaskId(Env)
            ?? throw new UsageException($"give a task ID (or set {ConnectionSettings.TaskIdVariable})");
    }

    public void Dispose() => _client?.Dispose();
}
