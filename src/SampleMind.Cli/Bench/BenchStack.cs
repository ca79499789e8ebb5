using System.Diagnostics;
using Npgsql;
using SampleMind.Cli.Infrastructure;

namespace SampleMind.Cli.Bench;

/// <summary>Where the bench runs: a stack it started itself (own ports and database, stopped afterwards) or a running one.</summary>
internal sealed class BenchStack : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string? _root;

    private BenchStack(Uri api, Uri silo, string connectionString, string clusterId, string? root, Dictionary<string, string> environment, string? runDirectory)
    {
        Api = api;
        Silo = silo;
        ConnectionString = connectionString;
        ClusterId = clusterId;
        _root = root;
        _environment = environment;
        RunDirectory = runDirectory;
    }

    public Uri Api { get; }

    public Uri Silo { get; }

    public string ConnectionString { get; }

    public string ClusterId { get; }

    /// <summary>run.sh's pid directory when the bench started the stack (for the hosts' CPU time), else null.</summary>
    public string? RunDirectory { get; }

    public bool Owned => _root is not null;

    /// <summary>Attaches to a running stack: client-api at <paramref name="api"/>, the silo's web port at <paramref name="silo"/>.</summary>
    public static BenchStack Attach(Uri api, Uri silo, string connectionString, string clusterId) =>
        new(api, silo, connectionString, clusterId, null, [], null);

    /// <summary>
    /// Recreates database <paramref name="database"/> next to SAMPLEMIND_PG's and starts silo + client-api on it with
    /// run.sh (own ports, cluster id and home directory, no demo data).
    /// </summary>
    public static async Task<BenchStack> StartAsync(BenchPorts ports, string database, string baseConnectionString, Action<string> status, CancellationToken cancellationToken)
    {
        var root = FindRoot();
        status($"recreating database {database}");
        var connectionString = await CliDatabase.RecreateAsync(baseConnectionString, database, cancellationToken);
        var home = Path.Combine(root, ".local", "bench");
        var environment = new Dictionary<string, string>
        {
            ["SAMPLEMIND_PG"] = connectionString,
            ["SAMPLEMIND_HOME"] = home,
            ["SAMPLEMIND_API_PORT"] = ports.Api.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SAMPLEMIND_SILO_PORT"] = ports.SiloWeb.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SAMPLEMIND_SILO_SILOPORT"] = ports.Silo.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SAMPLEMIND_SILO_GATEWAYPORT"] = ports.Gateway.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SAMPLEMIND_CLUSTER_ID"] = ports.ClusterId,
            ["SAMPLEMIND_DEMO"] = "0",
            // Its own database holds no Stripe side: revenue from events, as the freshness probe's payments are, whatever
            // the caller's environment says (the samplemind wrapper sets Stripe for a shell on the demo's database).
            ["Revenue__Source"] = "events",
        };
        var stack = new BenchStack(
            new Uri($"http://127.0.0.1:{ports.Api}/"), new Uri($"http://127.0.0.1:{ports.SiloWeb}/"),
            connectionString, ports.ClusterId, root, environment, Path.Combine(home, "run"));
        status($"starting silo :{ports.SiloWeb} and client-api :{ports.Api} (./run.sh up; builds when sources changed)");
        await stack.RunScriptAsync("up", cancellationToken);
        return stack;
    }

    /// <summary>CPU seconds used so far by run.sh's host <paramref name="service"/> (silo, client-api); null when unknown.</summary>
    public double? CpuSeconds(string service)
    {
        if (RunDirectory is null || !File.Exists(Path.Combine(RunDirectory, service + ".pid")))
        {
            return null;
        }

        var pid = File.ReadAllText(Path.Combine(RunDirectory, service + ".pid")).Trim();
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return null;
        }

        // Fields after the command name "(…)": state is field 3, utime 14, stime 15 (clock ticks, 100 per second).
        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_root is not null)
        {
            await RunScriptAsync("down", CancellationToken.None);
        }
    }

    private async Task RunScriptAsync(string verb, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Path.Combine(_root!, "run.sh"), verb)
        {
            WorkingDirectory = _root!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new CliException("cannot start run.sh");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            var text = (await output + await errors).Trim();
            throw new CliException($"./run.sh {verb} failed (exit {process.ExitCode}): {text[Math.Max(0, text.Length - 1500)..]}");
        }
    }

    /// <summary>The repository root (where run.sh is), found upwards from the CLI's binary.</summary>
    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "run.sh")) && Directory.Exists(Path.Combine(dir.FullName, "silo")))
            {
                return dir.FullName;
            }
        }

        throw new CliException("cannot find run.sh above the CLI's binary; start a stack yourself and pass --target URL", 2);
    }
}

/// <summary>The port block and cluster id of the stack the bench starts.</summary>
internal sealed record class BenchPorts(int Api, int SiloWeb, int Silo, int Gateway, string ClusterId);
