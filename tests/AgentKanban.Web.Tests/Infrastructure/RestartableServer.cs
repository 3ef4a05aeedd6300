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
    private WebApplication? _app;

    private RestartableServer(int port)
    {
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string BaseUrl { get; }

    public string AdminToken => File.ReadAllText(Path.Combine(_dataDir, "admin-token")).Trim();

    public static async Task<RestartableServer> StartAsync(CancellationToken cancellationToken)
    {
        var server = new RestartableServer(FreePort());
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_dataDir);
        _app = ServerHost.Build(new ServerOptions { DataDir = _dataDir, Urls = BaseUrl, PrintAdminToken = false });
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
