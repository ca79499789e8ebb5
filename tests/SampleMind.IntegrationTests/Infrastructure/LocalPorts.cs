using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace SampleMind.IntegrationTests.Infrastructure;

/// <summary>
/// Free TCP ports on the loopback interface for the silos, client-apis and servers a test starts.
/// </summary>
/// <remarks>
/// A port the OS hands out for port 0 is an ephemeral one: after the probe releases it, any outgoing connection (to
/// PostgreSQL, to a silo) or another test module running beside this one may take it before the child process binds
/// it ("address already in use"). So ports come from a block below the ephemeral range (32768–60999 here), one block
/// per test module, each handed out once per test run; a port something else holds is skipped.
/// </remarks>
public static class LocalPorts
{
    // SAMPLEMIND_TEST_PORT_BASE moves every module's block (blocks of 1,000 from there), so that test runs in two
    // checkouts at once do not share ports; unset, the blocks below are used (2,000 each).
    private static readonly int? Base = int.TryParse(Environment.GetEnvironmentVariable("SAMPLEMIND_TEST_PORT_BASE"), out var b) ? b : null;
    private static readonly int BlockSize = Base is null ? 2_000 : 1_000;
    private static readonly int First = FirstPortOf(Assembly.GetEntryAssembly()?.GetName().Name);
    private static int _next = First;
    private static readonly Lock Gate = new();

    /// <summary>Ports of this module's block, in order, skipping any that cannot be bound now.</summary>
    public static int[] Take(int count)
    {
        var ports = new int[count];
        lock (Gate)
        {
            for (var i = 0; i < count; i++)
            {
                ports[i] = NextFree();
            }
        }

        return ports;
    }

    private static int NextFree()
    {
        for (var tried = 0; tried < BlockSize; tried++)
        {
            var port = _next;
            _next = _next + 1 < First + BlockSize ? _next + 1 : First;
            if (CanBind(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port in {First}–{First + BlockSize - 1}");
    }

    private static bool CanBind(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Each test module its own block (the browser and integration modules both start processes).</summary>
    private static int FirstPortOf(string? module) => (Base ?? 16_000) + BlockSize * module switch
    {
        "SampleMind.IntegrationTests" => 0,
        "SampleMind.BrowserTests" => 1,
        _ => 2,
    };
}
