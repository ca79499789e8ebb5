using System.Diagnostics;
using System.Runtime.InteropServices;
using SampleMind.Cli.Infrastructure;

namespace SampleMind.Cli.Soak;

/// <summary>
/// One host process of the soak cluster (a silo or a client-api started from its built DLL), its output appended to a
/// log file; it can be started again after a stop, killed hard (SIGKILL) or stopped gracefully (SIGTERM).
/// </summary>
internal sealed class SoakHost(string name, string dll, Uri web, IReadOnlyDictionary<string, string> environment, string logFile) : IAsyncDisposable
{
    private static readonly HttpClient s_probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    private Process? _process;
    private StreamWriter? _log;

    public string Name => name;

    public Uri Web => web;

    public int Starts { get; private set; }

    public bool Running => _process is { HasExited: false };

    public void Start()
    {
        if (Running)
        {
            throw new InvalidOperationException($"{name} is already running");
        }
        _process?.Dispose();
        _log?.Dispose();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.Environment["ASPNETCORE_URLS"] = web.ToString().TrimEnd('/');
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        _log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var log = _log;
        _log.WriteLine($"--- soak: start {++Starts} of {name} at {DateTimeOffset.UtcNow:O}");
        _process = Process.Start(info) ?? throw new CliException($"cannot start {name} (dotnet {dll})");
        _process.OutputDataReceived += (_, e) => Write(log, e.Data);
        _process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The process outlived its log (a stop in progress).
            }
        }
    }

    /// <summary>Waits until /health/ready answers 200; fails when the process exits or the time is up.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process is null || _process.HasExited)
            {
                throw new CliException($"{name} exited with code {_process?.ExitCode} while starting (see {logFile})");
            }
            try
            {
                using var response = await s_probe.GetAsync(new Uri(web, "health/ready"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
            }
            if (clock.Elapsed > timeout)
            {
                throw new CliException($"{name} was not ready on {web}health/ready within {timeout.TotalSeconds:N0} s (see {logFile})");
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>kill -9: no shutdown, no deactivation, no goodbye to the cluster.</summary>
    public void KillHard()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, as Kubernetes sends before a pod goes: the host deactivates and flushes, then exits.</summary>
    public async Task<TimeSpan> StopGracefullyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (_process is not { HasExited: false } process)
        {
            return TimeSpan.Zero;
        }
        if (SendSignal(process.Id, 15) != 0)
        {
            throw new CliException($"could not send SIGTERM to {name} (pid {process.Id})");
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            KillHard();
            throw new CliException($"{name} did not stop within {timeout.TotalSeconds:N0} s of SIGTERM (killed; see {logFile})");
        }
        return clock.Elapsed;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public ValueTask DisposeAsync()
    {
        KillHard();
        _process?.Dispose();
        _log?.Dispose();
        return ValueTask.CompletedTask;
    }
}
