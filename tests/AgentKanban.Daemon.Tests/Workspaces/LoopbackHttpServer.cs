using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentKanban.Daemon.Tests.Workspaces;

/// <summary>A one-purpose HTTP server on 127.0.0.1: it either demands credentials (401) or accepts a request
/// and never answers, and it reports when the client's connection closes.</summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _clientGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _hang;
    private readonly Task _loop;

    public LoopbackHttpServer(bool hang)
    {
        _hang = hang;
        _listener.Start();
        _loop = AcceptAsync();
    }

    public string Url(string path) => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{path}";

    public string UrlWithCredentials(string user, string secret, string path) =>
        $"http://{user}:{secret}@127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{path}";

    /// <summary>Completes when a client's request arrived.</summary>
    public Task Connected => _connected.Task;

    /// <summary>Completes when a client that got no answer closed its connection (its process was killed).</summary>
    public Task ClientGone => _clientGone.Task;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[8192];
            var request = new StringBuilder();
            try
            {
                int read;
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal)
                    && (read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                _connected.TrySetResult();
                if (_hang)
                {
                    while (await stream.ReadAsync(buffer, _stop.Token) > 0)
                    {
                    }

                    _clientGone.TrySetResult();
                    return;
                }

                var response = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                _clientGone.TrySetResult();
            }
        }
    }
}
