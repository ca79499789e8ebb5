using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace SampleMind.IntegrationTests.Infrastructure;

/// <summary>
/// A real PgBouncer (Debian's package, which ./test.sh installs; <c>PGBOUNCER_PATH</c> overrides) in transaction
/// mode in front of the tests' PostgreSQL, on a free loopback port, for as long as the instance lives. It refuses to
/// run as root, so as root it runs as the <c>postgres</c> user (the server's own).
/// </summary>
public sealed class PgBouncer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private PgBouncer(Process process, string directory, int port, NpgsqlConnectionStringBuilder server)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _server = server;
    }

    private readonly NpgsqlConnectionStringBuilder _server;

    public int Port { get; }

    /// <summary>The connection string of <paramref name="database"/> through the bouncer (same user and password).</summary>
    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder(_server.ConnectionString)
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
    }.ConnectionString;

    /// <summary>What PgBouncer logged so far (its log goes to stderr).</summary>
    public string Log
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<PgBouncer> StartAsync(string serverConnectionString, CancellationToken ct)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        var binary = Environment.GetEnvironmentVariable("PGBOUNCER_PATH") is { Length: > 0 } given ? given : "/usr/sbin/pgbouncer";
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException($"PgBouncer is not installed at {binary} (./test.sh installs Debian's pgbouncer; PGBOUNCER_PATH overrides)");
        }
        var port = LocalPorts.Take(1)[0];
        var directory = Path.Combine(Path.GetTempPath(), $"sm-pgbouncer-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "userlist.txt"), $"\"{server.Username}\" \"{server.Password}\"\n");
        File.WriteAllText(Path.Combine(directory, "pgbouncer.ini"), string.Join('\n',
            "[databases]",
            string.Create(CultureInfo.InvariantCulture, $"* = host={server.Host} port={server.Port}"),
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            string.Create(CultureInfo.InvariantCulture, $"listen_port = {port}"),
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            $"auth_file = {Path.Combine(directory, "userlist.txt")}",
            "pool_mode = transaction",
            "max_client_conn = 400",
            "default_pool_size = 20",
            "ignore_startup_parameters = extra_float_digits",
            "log_connections = 1",
            "") + "\n");
        // The postgres user must read the folder a root test process created.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var asRoot = Environment.UserName == "root";
        var info = new ProcessStartInfo(asRoot ? "runuser" : binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asRoot)
        {
            foreach (var argument in new[] { "-u", "postgres", "--", binary })
            {
                info.ArgumentList.Add(argument);
            }
        }
        info.ArgumentList.Add(Path.Combine(directory, "pgbouncer.ini"));
        var process = Process.Start(info) ?? throw new InvalidOperationException("PgBouncer did not start");
        var bouncer = new PgBouncer(process, directory, port, server);
        process.OutputDataReceived += (_, e) => bouncer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => bouncer.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"PgBouncer exited with {process.ExitCode}: {bouncer.Log}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port, ct);
                return bouncer;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
