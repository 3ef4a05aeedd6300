using System.Net;
using System.Net.Sockets;
using AgentKanban.Server;
using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Web.Tests.Infrastructure;

/// <summary>
/// A board server on a fixed loopback port and data directory that can be stopped and started again, so a browser's
/// live streams really drop and reconnect to the same URL (the shared fixture server never restarts).
/// </summary>
public sealed class RestartableServer : IAsyncDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "ak-web-restart-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly TimeProvider? _time;
    private readonly TimeSpan? _eventRetention;
    private WebApplication? _app;

    private RestartableServer(int port, TimeProvider? time, TimeSpan? eventRetention)
    {
        BaseUrl = $"http://127.0.0.1:{port}";
        _time = time;
        _eventRetention = eventRetention;
    }

    public string BaseUrl { get; }

    public string AdminToken => File.ReadAllText(Path.Combine(_dataDir, "admin-token")).Trim();

    /// <summary>The running server's services (its background jobs, for tests that drive them).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the server is not running");

    /// <param name="time">The server's clock, kept across restarts (default: the system clock).</param>
    /// <param name="eventRetention">How old an event of the log must be to be pruned (default: the server's 30 days).</param>
    public static async Task<RestartableServer> StartAsync(CancellationToken cancellationToken, TimeProvider? time = null, TimeSpan? eventRetention = null)
    {
        var server = new RestartableServer(FreePort(), time, eventRetention);
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_dataDir);
        var options = new ServerOptions { DataDir = _dataDir, Urls = BaseUrl, PrintAdminToken = false };
        _app = ServerHost.Build(_eventRetention is { } retention ? options with { EventRetention = retention } : options, _time);
        await _app.StartAsync(cancellationToken);
    }

    /// <summary>Stops the server: its open event streams end, as when a server restarts.</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        SqliteConnection.ClearAllPools();
        TestServer.DeleteDirectory(_dataDir);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
