using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>Where the built hosts are, for the configuration this test assembly was built in.</summary>
public static class BuiltHosts
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Debug or Release: the folder above net10.0 in this assembly's output path.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string SiloDll => Path.Combine(RepositoryRoot, "silo", "SampleMind.Silo", "bin", Configuration, "net10.0", "SampleMind.Silo.dll");

    public static string CliDll => Path.Combine(RepositoryRoot, "src", "SampleMind.Cli", "bin", Configuration, "net10.0", "samplemind.dll");

    public static string ClientApiDll => Path.Combine(RepositoryRoot, "client-api", "SampleMind.ClientApi", "bin", Configuration, "net10.0", "SampleMind.ClientApi.dll");

    public static int FreeTcpPort() => Infrastructure.LocalPorts.Take(1)[0];

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SampleMind.Grains.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no SampleMind.Grains.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>The ports of one silo process.</summary>
public sealed record class SiloPorts(int SiloPort, int GatewayPort, int HttpPort)
{
    public static SiloPorts Free() => new(BuiltHosts.FreeTcpPort(), BuiltHosts.FreeTcpPort(), BuiltHosts.FreeTcpPort());
}

/// <summary>
/// Silos and client-api as real processes on ADO.NET clustering, in a throwaway database and their own ClusterId.
/// Disposing kills every process and drops the database.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly List<HostProcess> _processes = [];

    private ProcessCluster(PostgresDatabase database)
    {
        Database = database;
    }

    public PostgresDatabase Database { get; }

    public string ClusterId { get; } = $"it-{Guid.NewGuid():N}"[..16];

    public static async Task<ProcessCluster> CreateAsync(CancellationToken cancellationToken)
        => new(await PostgresDatabase.CreateAsync(migrate: true, cancellationToken));

    /// <summary>Starts a silo on free ports (with <paramref name="settings"/> added to its environment); <see cref="HostProcess.WaitForReadyAsync"/> is up to the caller.</summary>
    public HostProcess StartSilo(string name, SiloPorts ports, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = SiloEnvironment(Database.ConnectionString, ClusterId, ports);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }
        var silo = HostProcess.Start(name, BuiltHosts.SiloDll, ports.HttpPort, environment);
        _processes.Add(silo);
        return silo;
    }

    /// <summary>Starts client-api on a free port with the test keys (<see cref="TestApiKeys"/>) and <paramref name="settings"/> added.</summary>
    public HostProcess StartClientApi(string name = "client-api", IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = TestApiKeys.ClientApiEnvironment();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }
        environment["SAMPLEMIND_PG"] = Database.ConnectionString;
        environment["Orleans__ClusteringMode"] = "AdoNet";
        environment["Orleans__ClusterId"] = ClusterId;
        var client = HostProcess.Start(name, BuiltHosts.ClientApiDll, BuiltHosts.FreeTcpPort(), environment);
        _processes.Add(client);
        return client;
    }

    /// <summary>The environment of a silo on ADO.NET clustering and persistence; the schema is expected in place.</summary>
    public static Dictionary<string, string?> SiloEnvironment(string connectionString, string clusterId, SiloPorts ports) => new()
    {
        ["SAMPLEMIND_PG"] = connectionString,
        ["Orleans__ClusteringMode"] = "AdoNet",
        ["Orleans__PersistenceMode"] = "AdoNet",
        ["Orleans__ClusterId"] = clusterId,
        ["Orleans__SiloPort"] = ports.SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Orleans__GatewayPort"] = ports.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Database__MigrateOnStart"] = "false",
        // Declare a killed silo dead in seconds rather than tens of seconds.
        ["Orleans__Membership__ProbeTimeout"] = "00:00:02",
        ["Orleans__Membership__NumMissedProbesLimit"] = "2",
    };

    /// <summary>Runs the built CLI against this cluster's database and cluster id; its exit code and output (stdout then stderr).</summary>
    public async Task<(int ExitCode, string Output)> RunCliAsync(CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(BuiltHosts.CliDll);
        foreach (var arg in args.Concat(["--cluster-id", ClusterId]))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["SAMPLEMIND_PG"] = Database.ConnectionString;
        info.Environment["SAMPLEMIND_TRACE"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Runs <c>reconcile --check</c> until it finds no difference (the pre-aggregators flush about once a second; a
    /// generous bound of 30 tries), asserts it did, and returns its output.
    /// </summary>
    public async Task<string> AssertReconciledAsync(CancellationToken cancellationToken, params string[] options)
    {
        (int ExitCode, string Output) check = default;
        for (var attempt = 0; attempt < 30; attempt++)
        {
            check = await RunCliAsync(cancellationToken, ["reconcile", "--check", .. options]);
            if (check.ExitCode == 0)
            {
                break;
            }
            await Task.Delay(1000, cancellationToken);
        }
        Xunit.Assert.True(check.ExitCode == 0, check.Output);
        Xunit.Assert.StartsWith("0 differences over ", check.Output!.Trim().Split('\n')[^1], StringComparison.Ordinal);
        return check.Output!;
    }

    public string DescribeAll() => string.Join("\n", _processes.Select(p => p.Describe()));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}

/// <summary>
/// Process tests start several .NET hosts each and mostly wait on them: they run in two lines (this collection and
/// <see cref="SecondProcessCollection"/>), one class at a time in each, beside the module's other tests.
/// </summary>
/// <remarks>The lines are balanced by the classes' measured wall time; a new class goes where the sum is lower.</remarks>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "Processes";
}

/// <summary>The second line of process tests (see <see cref="ProcessCollection"/>).</summary>
[CollectionDefinition(Name)]
public sealed class SecondProcessCollection
{
    public const string Name = "Processes, second line";
}
