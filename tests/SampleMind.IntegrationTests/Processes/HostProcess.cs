using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// A silo or client-api started from its built DLL as a real child process (<c>dotnet x.dll</c>),
/// with its output captured, a readiness wait on /health/ready, and kill -9 of the whole process tree.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private HostProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StandardOutput
    {
        get { lock (_gate) { return _stdout.ToString(); } }
    }

    public string StandardError
    {
        get { lock (_gate) { return _stderr.ToString(); } }
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/></c> listening on <paramref name="httpPort"/> with <paramref name="environment"/> added.</summary>
    public static HostProcess Start(string name, string dll, int httpPort, IReadOnlyDictionary<string, string?> environment)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is not built (build the solution first)", dll);
        }

        var baseAddress = new Uri($"http://127.0.0.1:{httpPort}");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);

        // The child must not inherit the test's own SampleMind settings, only the ones given here.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("SAMPLEMIND_", StringComparison.Ordinal) || k.StartsWith("Orleans__", StringComparison.Ordinal) || k.StartsWith("Database__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/');
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new HostProcess(name, process, baseAddress);
        process.OutputDataReceived += (_, e) => host.Append(host._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(host._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Polls /health/ready until it answers 200; fails early (with the process output) when the process exits.</summary>
    public async Task WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready.\n{Describe()}");
            }

            try
            {
                using var response = await http.GetAsync("/health/ready", cancellationToken);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0} s (last /health/ready: {last}).\n{Describe()}");
    }

    /// <summary>Waits for the process to exit on its own; null when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        // The parameterless wait also drains the redirected output.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as systemd, Kubernetes or Ctrl+C would send: the host shuts down gracefully; waits for the exit.</summary>
    public async Task<int?> StopGracefullyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_process.HasExited && SendSignal(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"could not send SIGTERM to {Name} (pid {_process.Id})");
        }
        return await WaitForExitAsync(timeout, cancellationToken);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>kill -9 of the process and its children: no shutdown, no deactivation, no goodbye to the cluster.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public async Task<T?> GetJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var http = TestApiKeys.Client(BaseAddress, TimeSpan.FromSeconds(20));
        return await http.GetFromJsonAsync<T>(path, cancellationToken);
    }

    public string Describe()
    {
        static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));
        return $"--- {Name} stderr ---\n{Tail(StandardError, 20)}\n--- {Name} stdout (tail) ---\n{Tail(StandardOutput, 40)}";
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }
}
