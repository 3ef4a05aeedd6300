namespace AgentKanban.Server.Tests.Streams;

/// <summary>One test's server (plus, on PostgreSQL, any further instances on the same fresh database); all removed on dispose.</summary>
internal sealed class StreamEnvironment : IAsyncDisposable
{
    private readonly List<StreamServer> _servers = [];
    private readonly string? _postgres;

    private StreamEnvironment(string? postgres) => _postgres = postgres;

    public StreamServer Server => _servers[0];

    public static async Task<StreamEnvironment> StartAsync(string engine, TimeProvider? time, CancellationToken cancellationToken)
    {
        var postgres = engine == "postgres" ? await StreamTestPostgres.CreateDatabaseAsync(cancellationToken) : null;
        var environment = new StreamEnvironment(postgres);
        try
        {
            environment._servers.Add(await StreamServer.StartAsync(postgres, time, cancellationToken));
            return environment;
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    /// <summary>Another server instance on the same PostgreSQL database.</summary>
    public async Task<StreamServer> StartAnotherInstanceAsync(CancellationToken cancellationToken)
    {
        var server = await StreamServer.StartAsync(
            _postgres ?? throw new InvalidOperationException("several instances need PostgreSQL"),
            time: null,
            cancellationToken,
            Server.AdminToken);
        _servers.Add(server);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await StreamTestPostgres.DropDatabaseAsync(_postgres);
        }
    }
}
