using System.Net;
using System.Net.Sockets;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of the board server: the daemon talks through it, the test talks to the server
/// directly. <see cref="Cut"/> drops every open connection and refuses new ones (a network outage for the daemon alone,
/// while the server goes on serving the test); with <c>blackhole</c> new connections are accepted and then never
/// answered, as when packets are dropped on the way (requests hang until the client gives up). <see cref="Restore"/>
/// ends the outage.
/// </summary>
public sealed class CuttableLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<TcpClient> _open = [];
    private readonly List<TcpClient> _held = [];
    private readonly Task _accepting;
    private bool _cut;
    private bool _blackhole;

    private CuttableLink(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    public string BaseUrl { get; }

    public static CuttableLink To(int port) => new(port);

    /// <summary>
    /// Drops every connection through the link and refuses new ones (or, with <paramref name="blackhole"/>, leaves them
    /// unanswered) until <see cref="Restore"/>.
    /// </summary>
    public void Cut(bool blackhole = false)
    {
        TcpClient[] open;
        lock (_open)
        {
            _cut = true;
            _blackhole = blackhole;
            open = [.. _open];
            _open.Clear();
        }

        foreach (var client in open)
        {
            client.Dispose();
        }
    }

    public void Restore()
    {
        TcpClient[] held;
        lock (_open)
        {
            _cut = false;
            _blackhole = false;
            held = [.. _held];
            _held.Clear();
        }

        // The connections that hung during the outage break now; their clients retry on a working link.
        foreach (var client in held)
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Restore();
        Cut();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        var held = false;
        try
        {
            if (!Track(inbound))
            {
                held = Hold(inbound);
                return;
            }

            await outbound.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            if (!Track(outbound))
            {
                return;
            }

            var toServer = inbound.GetStream().CopyToAsync(outbound.GetStream(), _stop.Token);
            var toClient = outbound.GetStream().CopyToAsync(inbound.GetStream(), _stop.Token);

            // Either direction ending (or a cut) ends both.
            await Task.WhenAny(toServer, toClient);
            inbound.Dispose();
            outbound.Dispose();
            await Task.WhenAll(toServer, toClient);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection ended or was cut.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }

            if (!held)
            {
                inbound.Dispose();
            }

            outbound.Dispose();
        }
    }

    /// <summary>During a blackhole cut: keeps the connection open and silent; false when the link refuses instead.</summary>
    private bool Hold(TcpClient client)
    {
        lock (_open)
        {
            if (!_blackhole)
            {
                return false;
            }

            _held.Add(client);
            return true;
        }
    }

    private bool Track(TcpClient client)
    {
        lock (_open)
        {
            if (_cut)
            {
                return false;
            }

            _open.Add(client);
            return true;
        }
    }
}
