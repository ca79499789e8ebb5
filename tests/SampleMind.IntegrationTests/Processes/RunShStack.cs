using System.Diagnostics;
using System.Globalization;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// The local stack as users run it, <c>./run.sh up</c>, isolated for a test: its own throwaway database
/// (SAMPLEMIND_PG), its own .local directory (SAMPLEMIND_HOME), free ports and ClusterId, and no build
/// (SAMPLEMIND_SKIP_BUILD=1, the configuration this test assembly was built in). Disposing kills both hosts
/// (kill -9 by their pid files) and drops the database.
/// </summary>
public sealed class RunShStack : IAsyncDisposable
{
    private static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(150);

    private readonly int _apiPort;
    private readonly int _siloWebPort;
    private readonly int _siloPort;
    private readonly int _gatewayPort;

    private RunShStack(PostgresDatabase database)
    {
        Database = database;
        var ports = Infrastructure.LocalPorts.Take(4);
        (_apiPort, _siloWebPort, _siloPort, _gatewayPort) = (ports[0], ports[1], ports[2], ports[3]);
        Home = Path.Combine(Path.GetTempPath(), $"samplemind-runsh-{Guid.NewGuid():N}");
    }

    public PostgresDatabase Database { get; }

    /// <summary>SAMPLEMIND_HOME: logs/ and run/ (pid files) of this stack.</summary>
    public string Home { get; }

    public string ClusterId { get; } = $"it-runsh-{Guid.NewGuid():N}"[..20];

    public Uri ClientApiAddress => new($"http://127.0.0.1:{_apiPort}");

    public static async Task<RunShStack> CreateAsync(CancellationToken cancellationToken)
        => new(await PostgresDatabase.CreateAsync(migrate: true, cancellationToken));

    /// <summary><c>./run.sh up</c>: starts what is not running and returns once both hosts are ready; fails the test otherwise.</summary>
    public async Task UpAsync(CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunAsync("up", cancellationToken);
        Assert.True(exitCode == 0, $"./run.sh up exited {exitCode}:\n{output}\n{DescribeLogs()}");
    }

    /// <summary>Runs <c>./run.sh {command}</c> with this stack's environment; the exit code and stdout+stderr.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(string command, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = BuiltHosts.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(BuiltHosts.RepositoryRoot, "run.sh"));
        info.ArgumentList.Add(command);

        // Only this stack's settings: nothing of the developer's own stack may leak in.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("SAMPLEMIND_", StringComparison.Ordinal)
                     || k.StartsWith("Orleans__", StringComparison.Ordinal) || k.StartsWith("Database__", StringComparison.Ordinal)
                     || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["SAMPLEMIND_PG"] = Database.ConnectionString;
        info.Environment["SAMPLEMIND_HOME"] = Home;
        info.Environment["SAMPLEMIND_CONFIGURATION"] = BuiltHosts.Configuration;
        info.Environment["SAMPLEMIND_SKIP_BUILD"] = "1";
        info.Environment["SAMPLEMIND_DEMO"] = "0"; // the test sends its own events
        info.Environment["SAMPLEMIND_READY_TIMEOUT"] = "90";
        info.Environment["SAMPLEMIND_API_PORT"] = Invariant(_apiPort);
        info.Environment["SAMPLEMIND_SILO_PORT"] = Invariant(_siloWebPort);
        info.Environment["SAMPLEMIND_SILO_SILOPORT"] = Invariant(_siloPort);
        info.Environment["SAMPLEMIND_SILO_GATEWAYPORT"] = Invariant(_gatewayPort);
        info.Environment["SAMPLEMIND_CLUSTER_ID"] = ClusterId;
        // Passed through to both hosts: the schema is in place, and a server GC per host is too much for two cores.
        info.Environment["Database__MigrateOnStart"] = "false";
        info.Environment["DOTNET_gcServer"] = "0";

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash run.sh");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(CommandBound);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"./run.sh {command} still runs after {CommandBound.TotalSeconds:0} s\n{DescribeLogs()}");
        }

        return (process.ExitCode, $"{await stdout}{await stderr}");
    }

    /// <summary>The pid in run/{service}.pid (silo or client-api).</summary>
    public int PidOf(string service)
        => int.Parse(File.ReadAllText(Path.Combine(Home, "run", $"{service}.pid")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>kill -9 of the host whose pid run.sh recorded: no shutdown, no deactivation, no snapshot, no goodbye.</summary>
    public async Task KillAsync(string service, CancellationToken cancellationToken)
    {
        using var process = Process.GetProcessById(PidOf(service));
        process.Kill(); // SIGKILL on Linux
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(bound.Token);
    }

    public string DescribeLogs()
    {
        static string Tail(string path) => File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(30)) : "(no log)";
        var logs = Path.Combine(Home, "logs");
        return $"--- silo.log (tail) ---\n{Tail(Path.Combine(logs, "silo.log"))}\n--- client-api.log (tail) ---\n{Tail(Path.Combine(logs, "client-api.log"))}";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in new[] { "client-api", "silo" })
        {
            try
            {
                using var process = Process.GetProcessById(PidOf(service));
                if (process.ProcessName == "dotnet")
                {
                    process.Kill();
                    process.WaitForExit(10_000);
                }
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or FormatException)
            {
                // not started, or already gone
            }
        }

        await Database.DisposeAsync();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
