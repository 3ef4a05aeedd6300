using System.Net;
using System.Net.Sockets;

namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>
/// A free loopback port for a child process to listen on. Picked below the kernel's ephemeral range
/// (32768+), so a server that other tests start on port 0 cannot be handed the same port meanwhile.
/// </summary>
public static class Ports
{
    public static int Free()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException("no free port found between 20000 and 32000");
    }
}
