using System.Net;
using System.Net.Sockets;

namespace SampleMind.IntegrationTests.Infrastructure;

/// <summary>Free TCP ports on the loopback interface, for in-process silos that must not collide.</summary>
public static class LocalPorts
{
    public static int[] Take(int count)
    {
        // Hold all listeners open until every port is chosen, so one call never returns the same port twice.
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
