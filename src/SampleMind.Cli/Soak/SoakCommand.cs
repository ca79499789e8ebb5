using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using SampleMind.Analytics.Simulation;
using SampleMind.Cli.Bench;
using SampleMind.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Soak;

public sealed class SoakSettings : CommandSettings
{
    [CommandOption("--minutes <M>")]
    [Description("Length of the measured phases together (the restarts come on top)")]
    [DefaultValue(10.0)]
    public double Minutes { get; set; } = 10;

    [CommandOption("--users <N>")]
    [Description("Simulated users sending events")]
    [DefaultValue(20_000)]
    public int Users { get; set; } = 20_000;

    [CommandOption("--silos <N>")]
    [DefaultValue(3)]
    [Description("Silos in the cluster")]
    public int Silos { get; set; } = 3;

    [CommandOption("--apis <N>")]
    [DefaultValue(2)]
    [Description("client-api instances (the load is spread over them)")]
    public int Apis { get; set; } = 2;

    [CommandOption("--share <F>")]
    [DefaultValue(0.5)]
    [Description("Ingest rate as a share of the capacity measured first")]
    public double Share { get; set; } = 0.5;

    [CommandOption("--concurrency <C>")]
    [DefaultValue(64)]
    [Description("Ingest batches in flight at once")]
    public int Concurrency { get; set; } = 64;

    [CommandOption("--risk-rate <RPS>")]
    [DefaultValue(100)]
    [Description("Risk reads per second through the client-apis, in every phase")]
    public int RiskRate { get; set; } = 100;

    [CommandOption("--database <NAME>")]
    [DefaultValue("samplemind_soak")]
    [Description("The database the soak drops and recreates next to SAMPLEMIND_PG's")]
    public string Database { get; set; } = "samplemind_soak";

    [CommandOption("--base-port <N>")]
    [DefaultValue(5700)]
    [Description("First port of the block of 40 the soak's hosts listen on")]
    public int BasePort { get; set; } = 5700;

    [CommandOption("--json <FILE>")]
    [Description("Also write the figures as JSON to FILE")]
    public string? Json { get; set; }

    public override ValidationResult Validate()
    {
        if (Minutes is < 0.5 or > 24 * 60)
        {
            return ValidationResult.Error("--minutes must be 0.5…1440");
        }
        if (Silos is < 2 or > 9)
        {
            return ValidationResult.Error("--silos must be 2…9 (one is killed while the others carry the load)");
        }
        if (Apis is < 1 or > 9)
        {
            return ValidationResult.Error("--apis must be 1…9");
        }
        if (Users is < 100 or > 10_000_000)
        {
            return ValidationResult.Error("--users must be 100…10000000");
        }
        if (Share is <= 0 or > 1)
        {
            return ValidationResult.Error("--share must be in (0, 1]");
        }
        if (Concurrency is < 2 or > 256 || RiskRate is < 1 or > 5_000)
        {
            return ValidationResult.Error("--concurrency must be 2…256 and --risk-rate 1…5000");
        }
        return BasePort is < 1024 or > 65_000 ? ValidationResult.Error("--base-port must be 1024…65000") : ValidationResult.Success();
    }
}

/// <summary>
/// <c>samplemind soak</c>: a multi-silo cluster on loopback under steady ingest and risk reads through a hard kill,
/// a restart and a rolling restart of every silo; then what an operator needs to know — acknowledged events lost,
/// events applied twice, aggregates against SQL (without reconcile --fix) — and latency per phase.
/// </summary>
public sealed partial class SoakCommand : AsyncCommand<SoakSettings>
{
    private static readonly TimeSpan CalibrationTime = TimeSpan.FromSeconds(20);

    public override async Task<int> ExecuteAsync(CommandContext context, SoakSettings settings, CancellationToken cancellationToken)
    {
        var console = EventProgress.Console;
        var baseConnection = Environment.GetEnvironmentVariable("SAMPLEMIND_PG")
            ?? throw new CliException("SAMPLEMIND_PG is not set (./samplemind sets it to the local stack's PostgreSQL)", 2);
        var startedAt = DateTimeOffset.UtcNow;
        var connectionString = await CliDatabase.RecreateAsync(baseConnection, settings.Database, cancellationToken);
        var clusterId = $"soak-{startedAt:HHmmss}";
        await using var cluster = SoakCluster.Create(connectionString, clusterId, settings.Silos, settings.Apis, settings.BasePort);
        await console.Status().StartAsync($"starting {settings.Silos} silos and {settings.Apis} client-apis", status =>
            cluster.StartAsync(text => status.Status(Markup.Escape(text)), cancellationToken));
        console.MarkupLine($"soak: {settings.Silos} silos and {settings.Apis} client-apis ready (cluster {clusterId}, database {settings.Database}; logs in {Markup.Escape(cluster.Logs)})");

        var simulator = new PopulationSimulator(new SimulationOptions { Users = settings.Users, Days = 60, Seed = 20_261_206, Now = SimulationOptions.DefaultNow(TimeProvider.System) });
        var load = new SoakLoad(simulator, "dev-write-key");
        var readers = cluster.Apis.Select(a => ReadClient(a.Web)).ToList();
        var apis = cluster.Apis.Select(a => a.Web).ToList();
        var phases = new List<SoakPhase>();
        var total = TimeSpan.FromMinutes(settings.Minutes);
        double capacity = 0;
        var clock = Stopwatch.StartNew();

        await BenchProgress.RunAsync(async progress =>
        {
            // 1. Capacity: as fast as the cluster acknowledges, for 20 s.
            var calibrate = progress.Start("capacity (full speed)", CalibrationTime.TotalSeconds);
            using (var stopCalibration = new CancellationTokenSource())
            {
                var before = load.Acknowledged;
                var started = clock.Elapsed;
                var run = load.RunAsync(apis, settings.Concurrency, null, stopCalibration.Token, cancellationToken);
                await Tick(calibrate, CalibrationTime, () => $"{(load.Acknowledged - before) / Math.Max(1e-3, (clock.Elapsed - started).TotalSeconds):N0} events/s", cancellationToken);
                await stopCalibration.CancelAsync();
                await run;
                capacity = (load.Acknowledged - before) / (clock.Elapsed - started).TotalSeconds;
                calibrate.Done($"{capacity:N0} events/s");
            }
            var rate = Math.Max(100, capacity * settings.Share);

            using var stopLoad = new CancellationTokenSource();
            var ingest = load.RunAsync(apis, settings.Concurrency, rate, stopLoad.Token, cancellationToken);
            // Risk reads go to the users acknowledged during the capacity run (each has a grain with events).
            var known = load.Users();
            var reads = new SoakReads(readers, () => known, settings.RiskRate);
            var reading = reads.RunAsync(stopLoad.Token);
            var victim = cluster.Silos[1];

            async Task Measure(string name, TimeSpan length, Func<Task>? during = null)
            {
                var phase = progress.Start(name, length.TotalSeconds);
                load.BeginPhase();
                reads.BeginPhase();
                var acknowledged = load.Acknowledged;
                var started = clock.Elapsed;
                var work = during?.Invoke() ?? Task.CompletedTask;
                await Tick(phase, length, () => $"{(load.Acknowledged - acknowledged) / Math.Max(1e-3, (clock.Elapsed - started).TotalSeconds):N0} events/s", cancellationToken, work);
                await work;
                var seconds = (clock.Elapsed - started).TotalSeconds;
                var result = SoakPhase.Of(name, seconds, load.Acknowledged - acknowledged, load.BeginPhase(), reads.BeginPhase());
                phases.Add(result);
                phase.Done($"{result.EventsPerSec:N0} events/s, ingest p99 {result.IngestP99Ms:N0} ms, risk p99 {result.RiskP99Ms:N0} ms ({result.RiskErrors:N0} failed)");
            }

            await Measure($"steady at {rate:N0} events/s", total * 0.3);
            victim.KillHard();
            await Measure($"{victim.Name} killed (kill -9)", total * 0.2);
            await Measure($"{victim.Name} restarting", TimeSpan.Zero, async () =>
            {
                victim.Start();
                await victim.WaitReadyAsync(SoakCluster.ReadyTimeout, cancellationToken);
            });
            await Measure($"after {victim.Name} restarted", total * 0.2);
            await Measure("rolling restart of every silo", TimeSpan.Zero, async () =>
            {
                foreach (var silo in cluster.Silos)
                {
                    await silo.StopGracefullyAsync(TimeSpan.FromSeconds(150), cancellationToken);
                    silo.Start();
                    await silo.WaitReadyAsync(SoakCluster.ReadyTimeout, cancellationToken);
                }
            });
            await Measure("after the rolling restart", total * 0.3);
            await stopLoad.CancelAsync();
            await ingest;
            await reading;
        }, "soak");

        // Everything sent was acknowledged (the senders retry until a 2xx). What PostgreSQL and the grains hold now:
        var outcome = await console.Status().StartAsync("checking the log, every user's grain and the aggregates", async status =>
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var count = dataSource.CreateCommand("SELECT count(*) FROM user_events");
            var stored = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            status.Status("every user's eventsApplied against the log");
            var (doubled, missing, users) = await CompareUsersAsync(dataSource, readers[0], load.Users(), cancellationToken);
            status.Status("reconcile --check (no --fix)");
            var (differences, lines) = await ReconcileAsync(connectionString, clusterId, cancellationToken);
            return new SoakOutcome(load.Acknowledged, stored, Math.Max(0, load.Acknowledged - stored), doubled, missing, users, differences, lines);
        });

        Render(console, settings, capacity, phases, outcome);
        if (settings.Json is not null)
        {
            await File.WriteAllTextAsync(settings.Json, JsonSerializer.Serialize(new
            {
                startedAt,
                minutes = settings.Minutes,
                silos = settings.Silos,
                apis = settings.Apis,
                users = settings.Users,
                capacityEventsPerSec = Math.Round(capacity),
                share = settings.Share,
                phases,
                outcome.AcknowledgedEvents,
                outcome.StoredEvents,
                acknowledgedLost = outcome.Lost,
                eventsDoubled = outcome.Doubled,
                eventsMissingInGrains = outcome.Missing,
                usersChecked = outcome.Users,
                rollupDifferences = outcome.Differences,
                simulatorExhausted = load.Exhausted,
            }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }), cancellationToken);
        }
        return outcome.Lost == 0 && outcome.Doubled == 0 && outcome.Missing == 0 && outcome.Differences == 0 ? 0 : 1;
    }

    /// <summary>Updates the phase's bar every 250 ms for at least <paramref name="length"/> and until <paramref name="until"/> is done.</summary>
    private static async Task Tick(BenchPhase phase, TimeSpan length, Func<string> detail, CancellationToken cancellationToken, Task? until = null)
    {
        var clock = Stopwatch.StartNew();
        while ((clock.Elapsed < length || until is { IsCompleted: false }) && !cancellationToken.IsCancellationRequested)
        {
            phase.Update(length > TimeSpan.Zero ? clock.Elapsed.TotalSeconds : 0, detail());
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Every user's applied-event count (GET /api/users/{id}) against its rows in the log.</summary>
    private static async Task<(long Doubled, long Missing, int Users)> CompareUsersAsync(NpgsqlDataSource dataSource, HttpClient api, string[] users, CancellationToken cancellationToken)
    {
        var logged = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT user_id, count(*) FROM user_events GROUP BY user_id"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                logged[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        long doubled = 0, missing = 0;
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (user, ct) =>
        {
            var inLog = logged.GetValueOrDefault(user);
            long applied = 0;
            using var response = await api.GetAsync($"api/users/{Uri.EscapeDataString(user)}", ct);
            if (response.IsSuccessStatusCode)
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                applied = json.RootElement.GetProperty("eventsApplied").GetInt64();
            }
            else if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
            {
                throw new CliException($"GET /api/users/{user}: HTTP {(int)response.StatusCode}");
            }
            if (applied > inLog)
            {
                Interlocked.Add(ref doubled, applied - inLog);
            }
            else if (applied < inLog)
            {
                Interlocked.Add(ref missing, inLog - applied);
            }
        });
        return (doubled, missing, users.Length);
    }

    /// <summary>This CLI's own <c>reconcile --check</c> on the soak's cluster, until it finds no difference (up to 6 tries, 5 s apart: flushes in flight).</summary>
    private static async Task<(int Differences, string[] Lines)> ReconcileAsync(string connectionString, string clusterId, CancellationToken cancellationToken)
    {
        var cli = typeof(SoakCommand).Assembly.Location;
        (int, string[]) last = (-1, []);
        for (var attempt = 0; attempt < 6; attempt++)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { cli, "reconcile", "--check", "--cluster-id", clusterId })
            {
                info.ArgumentList.Add(argument);
            }
            info.Environment["SAMPLEMIND_PG"] = connectionString;
            using var process = Process.Start(info) ?? throw new CliException("cannot start reconcile");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var text = await output;
            var summary = Summary().Match(text);
            if (!summary.Success)
            {
                throw new CliException($"reconcile --check gave no summary (exit {process.ExitCode}): {(text + await errors).Trim()}");
            }
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            last = (int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture), lines[..^1]);
            if (last.Item1 == 0)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        }
        return last;
    }

    private static void Render(IAnsiConsole console, SoakSettings settings, double capacity, List<SoakPhase> phases, SoakOutcome outcome)
    {
        var table = new Table().AddColumns("phase", "seconds", "events acked", "events/s", "ingest p50 ms", "ingest p99 ms", "risk p50 ms", "risk p99 ms", "risk failed");
        foreach (var p in phases)
        {
            table.AddRow(Markup.Escape(p.Name), $"{p.Seconds:N0}", $"{p.Events:N0}", $"{p.EventsPerSec:N0}", F(p.IngestP50Ms), F(p.IngestP99Ms), F(p.RiskP50Ms), F(p.RiskP99Ms), $"{p.RiskErrors:N0}");
        }
        console.Write(table);
        var chart = new BarChart().Label("p99 per phase, ms (ingest batch / risk read)").Width(100);
        foreach (var p in phases)
        {
            chart.AddItem(Markup.Escape($"{Short(p.Name)} ingest"), Math.Round(p.IngestP99Ms ?? 0), Color.Blue);
            chart.AddItem(Markup.Escape($"{Short(p.Name)} risk"), Math.Round(p.RiskP99Ms ?? 0), Color.Green);
        }
        console.Write(chart);
        Console.WriteLine($"capacity {capacity:N0} events/s; soak at {settings.Share:P0} of it over {settings.Silos} silos and {settings.Apis} client-apis");
        Console.WriteLine($"acknowledged events: {outcome.AcknowledgedEvents:N0}; in the log: {outcome.StoredEvents:N0}");
        Console.WriteLine($"acknowledged events lost: {outcome.Lost:N0}");
        Console.WriteLine($"events applied twice (grain eventsApplied above the log, {outcome.Users:N0} users): {outcome.Doubled:N0}; applied short: {outcome.Missing:N0}");
        foreach (var line in outcome.Lines.Take(20))
        {
            Console.WriteLine($"  {line}");
        }
        Console.WriteLine($"rollup differences against SQL (reconcile --check, no --fix): {outcome.Differences:N0}");
    }

    private static string Short(string name) => name.Length <= 28 ? name : name[..27] + "…";

    private static string F(double? value) => value is null ? "–" : value.Value.ToString("N1", CultureInfo.InvariantCulture);

    private static HttpClient ReadClient(Uri api)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 128 }) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev-read-key");
        return http;
    }

    [GeneratedRegex(@"(\d+) differences? over")]
    private static partial Regex Summary();
}

internal sealed record SoakOutcome(long AcknowledgedEvents, long StoredEvents, long Lost, long Doubled, long Missing, int Users, int Differences, string[] Lines);

internal sealed record SoakPhase(string Name, double Seconds, long Events, double EventsPerSec, double? IngestP50Ms, double? IngestP99Ms, double? RiskP50Ms, double? RiskP99Ms, long RiskReads, long RiskErrors)
{
    public static SoakPhase Of(string name, double seconds, long events, Latencies ingest, Latencies risk) => new(
        name, Math.Round(seconds, 1), events, Math.Round(events / Math.Max(1e-3, seconds)),
        R(ingest.Percentile(50)), R(ingest.Percentile(99)), R(risk.Percentile(50)), R(risk.Percentile(99)), risk.Count, risk.Errors);

    private static double? R(double? value) => value is null ? null : Math.Round(value.Value, 1);
}
