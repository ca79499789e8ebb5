using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;
using SampleMind.Analytics.Simulation;
using SampleMind.Cli.Bench;
using SampleMind.Cli.Infrastructure;
using SampleMind.Diagnostics;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SampleMind.Cli.Commands;

public sealed class BenchSettings : CommandSettings
{
    [CommandOption("--quick")]
    [Description("About 3 minutes: shorter phases, 20,000 users, the SQL baseline at 1M events only (full: about 15 minutes, 100,000 users, 1M and 10M)")]
    public bool Quick { get; set; }

    [CommandOption("--smoke")]
    [Description("Seconds-long phases over 1,000 users and a 20,000-event SQL baseline: checks that the bench runs end to end (its figures mean little)")]
    public bool Smoke { get; set; }

    [CommandOption("--json <FILE>")]
    [Description("Also write the figures as JSON to FILE")]
    public string? Json { get; set; }

    [CommandOption("--target <URL>")]
    [Description("Measure a running stack's client-api (e.g. http://127.0.0.1:5080) instead of starting one; needs SAMPLEMIND_PG of its database")]
    public string? Target { get; set; }

    [CommandOption("--silo <URL>")]
    [Description("With --target: the silo's web endpoint (default: the target's port + 1)")]
    public string? Silo { get; set; }

    [CommandOption("--write-key <KEY>")]
    [Description("Segment write key of the stack")]
    [DefaultValue("dev-write-key")]
    public string WriteKey { get; set; } = "dev-write-key";

    [CommandOption("--api-key <KEY>")]
    [Description("Bearer API key with the read role, for /api reads (risk, KPIs)")]
    [DefaultValue("dev-read-key")]
    public string ApiKey { get; set; } = "dev-read-key";

    [CommandOption("--cluster-id <ID>")]
    [Description("Orleans ClusterId (own stack default samplemind-bench; with --target the stack's, default samplemind-local)")]
    public string? ClusterId { get; set; }

    [CommandOption("--database <NAME>")]
    [Description("Own stack: the database it drops and recreates next to SAMPLEMIND_PG's")]
    [DefaultValue("samplemind_bench")]
    public string Database { get; set; } = "samplemind_bench";

    [CommandOption("--api-port <N>")]
    [Description("Own stack: client-api's port (the silo's web port is N+1)")]
    [DefaultValue(5090)]
    public int ApiPort { get; set; } = 5090;

    [CommandOption("--silo-port <N>")]
    [Description("Own stack: the silo-to-silo port")]
    [DefaultValue(11190)]
    public int SiloPort { get; set; } = 11190;

    [CommandOption("--gateway-port <N>")]
    [Description("Own stack: the silo's client gateway port")]
    [DefaultValue(30090)]
    public int GatewayPort { get; set; } = 30090;

    [CommandOption("--users <N>")]
    [Description("Simulated users for the ingest phases (default 20,000 quick, 100,000 full)")]
    public int? Users { get; set; }

    [CommandOption("--concurrency <C>")]
    [Description("Ingest batches in flight at once")]
    [DefaultValue(64)]
    public int Concurrency { get; set; } = 64;

    [CommandOption("--risk-rate <RPS>")]
    [Description("Fixed request rate of the risk-query phases")]
    [DefaultValue(500)]
    public int RiskRate { get; set; } = 500;

    public override ValidationResult Validate()
    {
        if (Target is not null && !IsHttpUrl(Target))
        {
            return ValidationResult.Error($"--target must be an http(s) URL, got '{Target}'");
        }
        if (Silo is not null && (Target is null || !IsHttpUrl(Silo)))
        {
            return ValidationResult.Error("--silo needs --target and must be an http(s) URL");
        }
        if (ApiPort is < 1024 or > 65000 || SiloPort is < 1024 or > 65000 || GatewayPort is < 1024 or > 65000)
        {
            return ValidationResult.Error("--api-port, --silo-port and --gateway-port must be 1024…65000");
        }
        if (Quick && Smoke)
        {
            return ValidationResult.Error("give either --quick or --smoke");
        }
        if (Users is < 100 or > 10_000_000)
        {
            return ValidationResult.Error("--users must be 100…10000000");
        }
        if (Concurrency is < 1 or > 256)
        {
            return ValidationResult.Error("--concurrency must be 1…256");
        }
        return RiskRate is < 1 or > 20_000 ? ValidationResult.Error("--risk-rate must be 1…20000") : ValidationResult.Success();
    }

    private static bool IsHttpUrl(string text) => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}

/// <summary>
/// <c>samplemind bench</c>: the machine's limits (empty grain calls, PostgreSQL COPY), durable ingest over HTTP, risk
/// latency alone and under ingest (open loop), freshness, heap per active user and the SQL materialized-view baseline,
/// in one run; a table on stdout and, with --json, the figures as JSON.
/// </summary>
public sealed class BenchCommand : AsyncCommand<BenchSettings>
{
    // Ingest warms up longer: the silo's first seconds are JIT and the first activations of a fresh population.
    private sealed record Plan(TimeSpan Warmup, TimeSpan IngestWarmup, TimeSpan GrainCalls, TimeSpan Ingest, TimeSpan Risk, TimeSpan UnderIngest, int Users, long[] SqlEvents);

    public override async Task<int> ExecuteAsync(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        var plan = settings.Smoke
            ? new Plan(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), settings.Users ?? 1_000, [20_000])
            : settings.Quick
            ? new Plan(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30), settings.Users ?? 20_000, [1_000_000])
            : new Plan(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90), settings.Users ?? 100_000, [1_000_000, 10_000_000]);
        var startedAt = DateTimeOffset.UtcNow;
        var console = EventProgress.Console;

        await using var stack = await console.Status().StartAsync("starting the bench stack", status => OpenStackAsync(settings, text => status.Status(Markup.Escape(text)), cancellationToken));
        await using var dataSource = NpgsqlDataSource.Create(stack.ConnectionString);
        using var http = CreateHttp(stack.Api, settings.ApiKey);
        using var siloHttp = new HttpClient { BaseAddress = stack.Silo, Timeout = TimeSpan.FromMinutes(2) };

        BenchResult? result = null;
        await BenchProgress.RunAsync(async progress =>
        {
            var grainPhase = progress.Start("empty grain calls", (plan.Warmup + plan.GrainCalls).TotalSeconds);
            var grainCalls = await GrainCallLimit.MeasureAsync(dataSource, stack.ClusterId, plan.Warmup, plan.GrainCalls,
                (s, rate) => grainPhase.Update(s, $"{rate:N0} calls/s"), cancellationToken);
            grainPhase.Done($"{grainCalls:N0} calls/s");

            var simulator = new PopulationSimulator(new SimulationOptions { Users = plan.Users, Days = 60, Seed = 90 + startedAt.Second, Now = SimulationOptions.DefaultNow(TimeProvider.System) });
            var load = new IngestLoad(stack.Api, settings.WriteKey, simulator, settings.Concurrency);
            var ingestPhase = progress.Start($"durable ingest ({plan.Users:N0} users, batches of {IngestLoad.BatchSize}, {settings.Concurrency} in flight)", (plan.IngestWarmup + plan.Ingest).TotalSeconds);
            var before = await ReadRuntimeAsync(siloHttp, cancellationToken); // after the probe grains: only users count
            var siloCpu = before.ProcessCpuSeconds;
            var apiCpu = stack.CpuSeconds("client-api");
            var clock = Stopwatch.StartNew();
            var ingest = await load.RunAsync(null, plan.IngestWarmup, plan.Ingest, (s, rate) => ingestPhase.Update(s, $"{rate:N0} events/s"), cancellationToken);
            var elapsed = clock.Elapsed.TotalSeconds;
            var after = await ReadRuntimeAsync(siloHttp, cancellationToken);
            ingest = ingest with
            {
                SiloCpuPercent = Math.Round(100 * (after.ProcessCpuSeconds - siloCpu) / elapsed),
                ApiCpuPercent = apiCpu is null ? null : Math.Round(100 * (stack.CpuSeconds("client-api")!.Value - apiCpu.Value) / elapsed),
            };
            ingestPhase.Done($"{ingest.EventsPerSec:N0} events/s ({ingest.Events:N0} events, silo {ingest.SiloCpuPercent:N0} % CPU)");
            var ingested = after.ActiveUserGrains - before.ActiveUserGrains;

            // Ingest reaches only the users whose history it got to: a cheap read activates the rest of the population.
            var population = Enumerable.Range(simulator.Options.StartUserIndex, plan.Users).Select(i => PopulationSimulator.UserIdOf(simulator.Options.Seed, i)).ToArray();
            var activatePhase = progress.Start($"activating all {plan.Users:N0} users (GET …/risk)", plan.Users);
            var activation = await ActivateAsync(http, population, settings.Concurrency, (n, rate) => activatePhase.Update(n, $"{rate:N0} users/s"), cancellationToken);
            var all = await ReadRuntimeAsync(siloHttp, cancellationToken);
            var activated = all.ActiveUserGrains - before.ActiveUserGrains;
            activatePhase.Done($"{activated:N0} user grains active ({ingested:N0} reached by ingest, {activation.Errors:N0} errors)");
            var memory = new MemoryFigures(activated > 0 ? (all.ManagedHeapBytes - before.ManagedHeapBytes) / activated : null,
                activated, ingested, ingested > 0 ? (after.ManagedHeapBytes - before.ManagedHeapBytes) / ingested : null,
                before.ManagedHeapBytes, all.ManagedHeapBytes);

            var users = load.Users();
            var riskPhase = progress.Start($"risk queries ({settings.RiskRate}/s, open loop)", plan.Risk.TotalSeconds);
            var risk = await OpenLoop.RunAsync(settings.RiskRate, plan.Risk, i => RiskAsync(http, users, i, cancellationToken), s => riskPhase.Update(s, ""), cancellationToken);
            if (risk.Requests == 0)
            {
                throw new CliException($"every GET /api/users/{{id}}/risk failed ({risk.Errors:N0} errors): is --api-key a read key of {stack.Api}?");
            }
            riskPhase.Done($"p50 {risk.P50Ms:N1} ms, p99 {risk.P99Ms:N1} ms, p99.9 {risk.P999Ms:N1} ms");

            var half = Math.Max(1000, ingest.EventsPerSec / 2);
            var underPhase = progress.Start($"risk queries + freshness while ingesting {half:N0} events/s", plan.UnderIngest.TotalSeconds);
            var background = load.RunAsync(half, TimeSpan.Zero, plan.UnderIngest, null, cancellationToken);
            var freshness = FreshnessProbe.RunAsync(http, settings.WriteKey, 2, plan.UnderIngest, cancellationToken);
            var under = await OpenLoop.RunAsync(settings.RiskRate, plan.UnderIngest, i => RiskAsync(http, users, i, cancellationToken), s => underPhase.Update(s, ""), cancellationToken);
            var backgroundFigures = await background;
            var fresh = await freshness;
            under = under with { IngestEventsPerSec = backgroundFigures.EventsPerSec, IngestEvents = backgroundFigures.Events };
            underPhase.Done($"p99 {under.P99Ms:N1} ms at {backgroundFigures.EventsPerSec:N0} events/s; freshness p99 {fresh.Percentile(99):N0} ms");

            var sqlPhase = progress.Start("PostgreSQL COPY and the kpi_dashboard materialized view", plan.SqlEvents.Max() / 40_000.0);
            var baseline = new PostgresBaseline(dataSource);
            var refresh = new[] { 20_000L, 1_000_000L, 10_000_000L }.Where(n => n >= plan.SqlEvents.Min())
                .ToDictionary(SqlBaselineFigures.Label, _ => (double?)null);
            double copyRate;
            await baseline.CreateAsync(cancellationToken);
            try
            {
                using var ticker = new Timer(_ => sqlPhase.Update(clock.Elapsed.TotalSeconds, $"{baseline.Rows:N0} rows"));
                clock.Restart();
                ticker.Change(0, 250);
                copyRate = await baseline.CopyUntilAsync(plan.SqlEvents[0], cancellationToken);
                foreach (var events in plan.SqlEvents)
                {
                    await baseline.CopyUntilAsync(events, cancellationToken);
                    refresh[SqlBaselineFigures.Label(events)] = await baseline.RefreshMsAsync(cancellationToken);
                }
            }
            finally
            {
                await baseline.DropAsync(CancellationToken.None);
            }
            sqlPhase.Done($"COPY {copyRate:N0} rows/s; refresh " + string.Join(", ", refresh.Where(r => r.Value is not null).Select(r => $"{r.Key} {r.Value:N0} ms")));

            result = new BenchResult
            {
                Mode = settings.Smoke ? "smoke" : settings.Quick ? "quick" : "full",
                StartedAt = startedAt,
                Machine = new BenchMachine(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, stack.Owned),
                Limits = new LimitFigures(Math.Round(grainCalls), Math.Round(copyRate)),
                Ingest = ingest with
                {
                    RatioToGrainCalls = Math.Round(ingest.EventsPerSec / grainCalls, 3),
                    RatioToPgCopy = Math.Round(ingest.EventsPerSec / copyRate, 3),
                },
                RiskQuery = risk,
                RiskQueryUnderIngest = under,
                Freshness = new FreshnessFigures(Round(fresh.Percentile(50)), Round(fresh.Percentile(99)), fresh.Count, fresh.Errors),
                Memory = memory,
                SqlBaseline = new SqlBaselineFigures(refresh),
            };
        });

        AnsiConsole.Write(result!.ToTable());
        if (settings.Json is not null)
        {
            try
            {
                await File.WriteAllTextAsync(settings.Json, result.ToJson() + "\n", cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot write {settings.Json}: {ex.Message}");
            }
        }
        return 0;
    }

    private static async Task<BenchStack> OpenStackAsync(BenchSettings settings, Action<string> status, CancellationToken cancellationToken)
    {
        var connection = Environment.GetEnvironmentVariable("SAMPLEMIND_PG");
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new CliException("no database: set SAMPLEMIND_PG (./samplemind sets it for the local stack)", 2);
        }
        if (settings.Target is not null)
        {
            var api = new Uri(settings.Target.TrimEnd('/') + "/");
            var silo = settings.Silo is not null ? new Uri(settings.Silo.TrimEnd('/') + "/") : new UriBuilder(api) { Port = api.Port + 1 }.Uri;
            return BenchStack.Attach(api, silo, new Npgsql.NpgsqlConnectionStringBuilder(connection) { PersistSecurityInfo = true }.ConnectionString, settings.ClusterId ?? "samplemind-local");
        }
        var ports = new BenchPorts(settings.ApiPort, settings.ApiPort + 1, settings.SiloPort, settings.GatewayPort, settings.ClusterId ?? "samplemind-bench");
        return await BenchStack.StartAsync(ports, settings.Database, connection, status, cancellationToken);
    }

    /// <summary>The client for /api reads (bearer API key); ingest sends its own write key.</summary>
    private static HttpClient CreateHttp(Uri api, string apiKey)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = api,
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    /// <summary>One GET …/risk per user (404 for a user without events still activates the grain), <paramref name="concurrency"/> in flight.</summary>
    private static async Task<(long Done, long Errors)> ActivateAsync(HttpClient http, string[] users, int concurrency, Action<long, double> progress, CancellationToken cancellationToken)
    {
        long done = 0, errors = 0;
        var clock = Stopwatch.StartNew();
        using var ticker = new Timer(_ => progress(Interlocked.Read(ref done), Interlocked.Read(ref done) / Math.Max(1e-3, clock.Elapsed.TotalSeconds)), null, 0, 250);
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (user, ct) =>
        {
            try
            {
                using var response = await http.GetAsync($"api/users/{Uri.EscapeDataString(user)}/risk", ct);
                if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
                {
                    Interlocked.Increment(ref errors);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                Interlocked.Increment(ref errors); // counted, not fatal: the figure says how many grains are active
            }
            Interlocked.Increment(ref done);
        });
        return (done, errors);
    }

    private static async Task<bool> RiskAsync(HttpClient http, string[] users, long index, CancellationToken cancellationToken)
    {
        var user = users[(int)((index * 7919) % users.Length)];
        using var response = await http.GetAsync($"api/users/{Uri.EscapeDataString(user)}/risk", HttpCompletionOption.ResponseContentRead, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    private static async Task<SiloRuntimeReading> ReadRuntimeAsync(HttpClient silo, CancellationToken cancellationToken, bool fullGc = true)
    {
        try
        {
            // The silo allows one forced collection per Silo:FullGcMinInterval (10 s): wait out a 429 and ask again.
            for (var attempt = 0; ; attempt++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, fullGc ? "diagnostics/runtime?gc=full" : "diagnostics/runtime");
                var key = Environment.GetEnvironmentVariable("SAMPLEMIND_SILO_ADMIN_KEY");
                if (!string.IsNullOrEmpty(key))
                {
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
                }
                using var response = await silo.SendAsync(request, cancellationToken);
                if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests && attempt < 10)
                {
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), cancellationToken);
                    continue;
                }
                if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
                {
                    throw new CliException($"{silo.BaseAddress}diagnostics/runtime answered {(int)response.StatusCode}: set SAMPLEMIND_SILO_ADMIN_KEY to the silo's Silo:AdminKey (or bench on loopback)");
                }
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadFromJsonAsync<SiloRuntimeReading>(cancellationToken)
                    ?? throw new CliException($"{silo.BaseAddress}diagnostics/runtime answered null");
            }
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot read the silo's heap at {silo.BaseAddress}diagnostics/runtime: {ex.Message} (pass --silo URL with --target)");
        }
    }

    private static double? Round(double? value) => value is null ? null : Math.Round(value.Value, 1);
}
