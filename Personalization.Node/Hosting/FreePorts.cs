using System.Net;
using System.Net.Sockets;

namespace Personalization.Node.Hosting;

/// <summary>A TCP port free on loopback right now (for nodes, local servers and tests that must know their port before binding).</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
