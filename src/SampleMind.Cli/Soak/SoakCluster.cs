using System.Collections;
using System.Globalization;
using System.Net.Sockets;
using SampleMind.Cli.Bench;
using SampleMind.Cli.Infrastructure;

namespace SampleMind.Cli.Soak;

/// <summary>
/// The soak's cluster on loopback: <c>silos</c> silos and <c>apis</c> client-apis from the built hosts, one
/// PostgreSQL database, one Orleans cluster id; ports from <c>basePort</c> (client-api i: base + i, silo i: web
/// base + 10 + i, silo-to-silo base + 20 + i, gateway base + 30 + i). Logs in .local/soak/logs.
/// </summary>
internal sealed class SoakCluster : IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    private SoakCluster(IReadOnlyList<SoakHost> silos, IReadOnlyList<SoakHost> apis, string logs)
    {
        Silos = silos;
        Apis = apis;
        Logs = logs;
    }

    public IReadOnlyList<SoakHost> Silos { get; }

    public IReadOnlyList<SoakHost> Apis { get; }

    public string Logs { get; }

    public static SoakCluster Create(string connectionString, string clusterId, int silos, int apis, int basePort)
    {
        var root = BenchStack.FindRoot();
        var siloDll = Path.Combine(root, "silo", "SampleMind.Silo", "bin", "Release", "net10.0", "SampleMind.Silo.dll");
        var apiDll = Path.Combine(root, "client-api", "SampleMind.ClientApi", "bin", "Release", "net10.0", "SampleMind.ClientApi.dll");
        foreach (var dll in new[] { siloDll, apiDll })
        {
            if (!File.Exists(dll))
            {
                throw new CliException($"{dll} is not built: ./run.sh up (or dotnet build -c Release) builds the hosts", 2);
            }
        }
        var ports = Enumerable.Range(0, apis).Select(i => basePort + i)
            .Concat(Enumerable.Range(0, silos).SelectMany(i => new[] { basePort + 10 + i, basePort + 20 + i, basePort + 30 + i }))
            .ToList();
        if (ports.FirstOrDefault(Taken) is var taken and > 0)
        {
            throw new CliException($"port {taken} is in use (the soak takes {basePort}…{basePort + 39}; --base-port picks another block)", 2);
        }
        var logs = Path.Combine(root, ".local", "soak", "logs");
        Directory.CreateDirectory(logs);

        // Membership and other Orleans settings of the caller's environment reach the silos (e.g. Orleans__Membership__ProbeTimeout).
        var passed = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => (Key: (string)e.Key, Value: (string?)e.Value ?? ""))
            .Where(e => e.Key.StartsWith("Orleans__Membership__", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value);
        var common = new Dictionary<string, string>(passed)
        {
            ["SAMPLEMIND_PG"] = connectionString,
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__ClusteringMode"] = "AdoNet",
        };
        var siloHosts = Enumerable.Range(0, silos).Select(i => new SoakHost(
            $"silo-{i + 1}", siloDll, Loopback(basePort + 10 + i),
            new Dictionary<string, string>(common)
            {
                ["Orleans__SiloPort"] = Invariant(basePort + 20 + i),
                ["Orleans__GatewayPort"] = Invariant(basePort + 30 + i),
                ["Orleans__AdvertisedIPAddress"] = "127.0.0.1",
            },
            Path.Combine(logs, $"silo-{i + 1}.log"))).ToList();
        var apiHosts = Enumerable.Range(0, apis).Select(i => new SoakHost(
            $"client-api-{i + 1}", apiDll, Loopback(basePort + i),
            new Dictionary<string, string>(common)
            {
                // The local keys (dev-write-key, dev-read-key) come from client-api's appsettings.Development.json.
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
            },
            Path.Combine(logs, $"client-api-{i + 1}.log"))).ToList();
        return new SoakCluster(siloHosts, apiHosts, logs);
    }

    /// <summary>Starts the first silo (it migrates the schema), then the others, then the client-apis; returns when all are ready.</summary>
    public async Task StartAsync(Action<string> status, CancellationToken cancellationToken)
    {
        status($"starting {Silos[0].Name} (migrates the schema)");
        Silos[0].Start();
        await Silos[0].WaitReadyAsync(ReadyTimeout, cancellationToken);
        foreach (var silo in Silos.Skip(1))
        {
            silo.Start();
        }
        status($"starting {string.Join(", ", Silos.Skip(1).Select(s => s.Name))}");
        await Task.WhenAll(Silos.Skip(1).Select(s => s.WaitReadyAsync(ReadyTimeout, cancellationToken)));
        foreach (var api in Apis)
        {
            api.Start();
        }
        status($"starting {string.Join(", ", Apis.Select(a => a.Name))}");
        await Task.WhenAll(Apis.Select(a => a.WaitReadyAsync(ReadyTimeout, cancellationToken)));
    }

    public async ValueTask DisposeAsync()
    {
        // Client-apis first, then the silos gracefully: the database is left as a clean cluster would leave it.
        foreach (var api in Apis)
        {
            await StopQuietlyAsync(api);
        }
        foreach (var silo in Silos.Reverse())
        {
            await StopQuietlyAsync(silo);
        }
    }

    private static async Task StopQuietlyAsync(SoakHost host)
    {
        try
        {
            await host.StopGracefullyAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
        catch (CliException)
        {
            // Killed after the timeout; nothing more to do on the way out.
        }
        await host.DisposeAsync();
    }

    private static Uri Loopback(int port) => new($"http://127.0.0.1:{Invariant(port)}/");

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool Taken(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
