using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using SampleMind.IntegrationTests.Infrastructure;
using SampleMind.IntegrationTests.Processes;
using YamlDotNet.RepresentationModel;

namespace SampleMind.IntegrationTests.Deployment;

/// <summary>
/// What the containers run, short of a Docker daemon (none here): the `dotnet publish` output of each host and the
/// CLI, started as the Dockerfiles and the production manifests start them. The migration Job's command migrates a
/// fresh database; the silo and client-api start from their publish folders with the manifests' settings, answer
/// every probe path of the manifests and the Dockerfiles' HEALTHCHECK, and their /metrics move during ingest.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class PublishedHostsProcessTests
{
    private static readonly TimeSpan ReadyBound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task PublishedHosts_RunWithTheManifestSettings_AnswerTheirProbes_AndExportMetricsThatMoveDuringIngest()
    {
        var ct = TestContext.Current.CancellationToken;
        var publish = Path.Combine(Path.GetTempPath(), $"sm-publish-{Guid.NewGuid():N}");
        try
        {
            var silo = await PublishAsync("silo/SampleMind.Silo/SampleMind.Silo.csproj", Path.Combine(publish, "silo"), ct);
            var clientApi = await PublishAsync("client-api/SampleMind.ClientApi/SampleMind.ClientApi.csproj", Path.Combine(publish, "client-api"), ct);
            var cli = await PublishAsync("src/SampleMind.Cli/SampleMind.Cli.csproj", Path.Combine(publish, "cli"), ct);
            // The dashboard page and its chart library are part of client-api's publish output.
            Assert.True(File.Exists(Path.Combine(clientApi, "wwwroot", "lib", "echarts.min.js")));

            var objects = DeploymentManifests.Render("production");
            await using var database = await PostgresDatabase.CreateAsync(migrate: false, ct);

            // The migration Job: the CLI image's command on an empty database.
            var job = objects.Single(o => o.Kind() == "Job").PodSpec().Seq("containers").Single();
            var (migrateExit, migrateOutput) = await RunAsync(EntryPoint("cli.Dockerfile", cli), [.. job.Strings("args")], database.ConnectionString, ct);
            Assert.True(migrateExit == 0, migrateOutput);
            Assert.Contains("applied", migrateOutput, StringComparison.Ordinal);

            // Production's hosts reach PostgreSQL through PgBouncer in transaction mode (Database__PgBouncer=true in the
            // overlay); here a real PgBouncer in that mode stands in front of the test database.
            await using var bouncer = await PgBouncer.StartAsync(database.ConnectionString, ct);
            var throughBouncer = bouncer.ConnectionStringFor(database.Name);

            var clusterId = $"it-pub-{Guid.NewGuid():N}"[..16];
            var ports = SiloPorts.Free();
            var siloEnvironment = ManifestEnvironment(objects, "samplemind-silo", throughBouncer, clusterId);
            // Not in a pod: no POD_* variables for Orleans' Kubernetes hosting, so loopback endpoints on free ports.
            siloEnvironment["Orleans__KubernetesHosting"] = "false";
            siloEnvironment["Orleans__AdvertisedIPAddress"] = "127.0.0.1";
            siloEnvironment["Orleans__SiloPort"] = ports.SiloPort.ToString(CultureInfo.InvariantCulture);
            siloEnvironment["Orleans__GatewayPort"] = ports.GatewayPort.ToString(CultureInfo.InvariantCulture);
            await using var siloHost = HostProcess.Start("published silo", EntryPoint("silo.Dockerfile", silo), ports.HttpPort, siloEnvironment);
            await siloHost.WaitForReadyAsync(ReadyBound, ct);

            var clientEnvironment = ManifestEnvironment(objects, "samplemind-client-api", throughBouncer, clusterId);
            foreach (var (key, value) in TestApiKeys.ClientApiEnvironment())
            {
                clientEnvironment[key] = value;
            }
            await using var clientHost = HostProcess.Start("published client-api", EntryPoint("client-api.Dockerfile", clientApi), BuiltHosts.FreeTcpPort(), clientEnvironment);
            await clientHost.WaitForReadyAsync(ReadyBound, ct);

            using var http = TestApiKeys.Client(clientHost.BaseAddress, TimeSpan.FromSeconds(30));
            foreach (var (name, host, dockerfile) in new[] { ("samplemind-silo", siloHost, "silo.Dockerfile"), ("samplemind-client-api", clientHost, "client-api.Dockerfile") })
            {
                var container = objects.Single(o => o.Kind() == "Deployment" && o.Name() == name).PodSpec().Seq("containers").Single();
                var paths = new[] { "startupProbe", "readinessProbe", "livenessProbe" }.Select(container.MapOrNull).OfType<YamlMappingNode>()
                    .Select(p => p.Map("httpGet").Scalar("path"))
                    .Append(HealthCheckPath(dockerfile))
                    .Distinct()
                    .ToList();
                Assert.Contains("/health/ready", paths);
                foreach (var path in paths)
                {
                    using var response = await http.GetAsync(new Uri(host.BaseAddress, path), ct);
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name} {path}: {(int)response.StatusCode}");
                }
            }

            // Metrics before and after a batch of 25 events for 5 users.
            var clientBefore = await ScrapeAsync(http, clientHost, ct);
            var batch = new StringBuilder("{\"batch\":[");
            for (var i = 0; i < 25; i++)
            {
                batch.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "," : "")}{{\"type\":\"track\",\"event\":\"analysis_completed\",\"userId\":\"pub-{i % 5}\",\"messageId\":\"pub-m-{i}\",\"timestamp\":\"2026-11-20T10:{i:00}:00Z\",\"properties\":{{\"model\":\"genre_classification\",\"model_version\":\"2.1\",\"processing_time_ms\":800,\"accuracy\":0.9}}}}");
            }
            batch.Append("]}");
            using (var ingest = await http.PostAsync("/v1/batch", new StringContent(batch.ToString(), Encoding.UTF8, "application/json"), ct))
            {
                Assert.Equal(HttpStatusCode.OK, ingest.StatusCode);
            }
            // The exporter caches a scrape for 300 ms.
            var clientAfter = await Eventually.GetAsync(() => ScrapeAsync(http, clientHost, ct),
                m => Value(m, "samplemind_ingest_events_total") > Value(clientBefore, "samplemind_ingest_events_total"), TimeSpan.FromSeconds(10));
            Assert.Equal(Value(clientBefore, "samplemind_ingest_events_total") + 25, Value(clientAfter, "samplemind_ingest_events_total"));
            Assert.Equal(Value(clientBefore, "samplemind_ingest_durable_ack_duration_seconds_count") + 1, Value(clientAfter, "samplemind_ingest_durable_ack_duration_seconds_count"));

            // The silo flushes its rollups (every 500 ms): the flush and freshness histograms count, Orleans' own meters export.
            var siloMetrics = await Eventually.GetAsync(() => ScrapeAsync(http, siloHost, ct),
                m => Value(m, "samplemind_rollup_freshness_seconds_count") > 0 && m.Contains("\nsamplemind_user_index_lag", StringComparison.Ordinal),
                TimeSpan.FromSeconds(20));
            Assert.True(Value(siloMetrics, "samplemind_rollup_freshness_seconds_count") > 0, "no rollup flush was measured");
            Assert.True(Value(siloMetrics, "samplemind_rollup_flush_duration_seconds_count") > 0);
            Assert.Contains("\nsamplemind_user_index_lag", siloMetrics, StringComparison.Ordinal);
            Assert.Contains("\nsamplemind_churn_model_version", siloMetrics, StringComparison.Ordinal);
            Assert.Matches(OrleansMetric(), siloMetrics);
            AssertTheGrafanaDashboardReadsWhatTheHostsExport(clientAfter + "\n" + siloMetrics);
            var user = await http.GetStringAsync("/api/users/pub-0", ct);
            Assert.Contains("\"eventsApplied\":5", user, StringComparison.Ordinal);
            // Every connection of both hosts went through the bouncer: it logged their logins to this database, and the
            // database has no client other than the bouncer (and this test's own pool, which connects directly).
            Assert.True(Regex.Count(bouncer.Log, $"login attempt: db={database.Name} ") >= 2, bouncer.Log);
            Assert.True(objects.Where(o => o.Kind() == "Deployment").All(d => d.PodSpec().Seq("containers").Single().Environment(objects).GetValueOrDefault("Database__PgBouncer") == "true"),
                "the production overlay does not set Database__PgBouncer on every Deployment");
        }
        finally
        {
            if (Directory.Exists(publish))
            {
                Directory.Delete(publish, recursive: true);
            }
        }
    }

    /// <summary>
    /// Every metric the Grafana dashboard queries is exported by one of the hosts (in this scrape, or — for our own
    /// instruments that have recorded nothing yet, such as refusals — defined under that name), and every label it
    /// groups by is carried by that metric's samples. The exporter's naming agrees with the names we derive.
    /// </summary>
    private static void AssertTheGrafanaDashboardReadsWhatTheHostsExport(string scrapes)
    {
        var exported = GrafanaDashboard.SeriesLabels(scrapes);
        var own = GrafanaDashboard.OwnInstrumentSeries();
        foreach (var name in exported.Keys.Where(n => n.StartsWith("samplemind_", StringComparison.Ordinal)))
        {
            Assert.True(own.ContainsKey(name), $"{name} is exported but not derived from our instruments' names");
        }
        using var dashboard = GrafanaDashboard.Load();
        var checkedMetrics = 0;
        foreach (var query in GrafanaDashboard.Queries(dashboard))
        {
            foreach (var metric in GrafanaDashboard.Metrics(query.Expression))
            {
                checkedMetrics++;
                if (!exported.TryGetValue(metric, out var labels))
                {
                    Assert.True(own.ContainsKey(metric), $"panel {query.Panel}: {metric} is neither exported by the hosts nor one of our instruments");
                    continue;
                }
                foreach (var label in GrafanaDashboard.GroupingLabels(query.Expression).Where(l => l is not ("le" or "instance" or "job")))
                {
                    Assert.True(labels.Contains(label), $"panel {query.Panel}: {metric} has no label {label} (it has {string.Join(", ", labels)})");
                }
            }
        }
        Assert.True(checkedMetrics >= 30, $"only {checkedMetrics} metric references found on the dashboard");
    }

    /// <summary>`dotnet publish` of the build the tests run (no second compile), as the Dockerfiles publish.</summary>
    private static async Task<string> PublishAsync(string project, string output, CancellationToken ct)
    {
        var (exit, text) = await RunAsync("dotnet", ["publish", Path.Combine(BuiltHosts.RepositoryRoot, project), "-c", BuiltHosts.Configuration, "--no-build", "-o", output, "-nologo", "-v", "quiet"], null, ct);
        Assert.True(exit == 0, $"dotnet publish {project}: {text}");
        return output;
    }

    /// <summary>The DLL of the Dockerfile's ENTRYPOINT ["dotnet", "X.dll"], in the publish folder.</summary>
    private static string EntryPoint(string dockerfile, string publishFolder)
    {
        var entry = DeploymentManifests.DockerfileFinalStage(dockerfile)["ENTRYPOINT"].Single();
        var dll = DllName().Match(entry).Value;
        var path = Path.Combine(publishFolder, dll);
        Assert.True(File.Exists(path), $"{dockerfile}'s entry point {dll} is not in the publish output");
        return path;
    }

    /// <summary>The path of the Dockerfile's HEALTHCHECK curl, whose port must be the one its ASPNETCORE_URLS names.</summary>
    private static string HealthCheckPath(string dockerfile)
    {
        var stage = DeploymentManifests.DockerfileFinalStage(dockerfile);
        var url = new Uri(HealthUrl().Match(stage["HEALTHCHECK"].Single()).Value);
        var listens = PortInUrls().Match(string.Join(' ', stage["ENV"])).Groups[1].Value;
        Assert.Equal(listens, url.Port.ToString(CultureInfo.InvariantCulture));
        Assert.Contains(listens, stage["EXPOSE"].Single().Split(' '));
        Assert.Equal(["$APP_UID"], stage["USER"]);
        return url.AbsolutePath;
    }

    /// <summary>The env a Deployment's container gets from the manifests (values only; secrets replaced by the test's).</summary>
    private static Dictionary<string, string?> ManifestEnvironment(IReadOnlyList<YamlMappingNode> objects, string deployment, string connectionString, string clusterId)
    {
        var container = objects.Single(o => o.Kind() == "Deployment" && o.Name() == deployment).PodSpec().Seq("containers").Single();
        var environment = container.Environment(objects).Where(e => e.Value is not null && e.Key != "ASPNETCORE_URLS")
            .ToDictionary(e => e.Key, e => e.Value);
        environment["SAMPLEMIND_PG"] = connectionString;
        environment["Orleans__ClusterId"] = clusterId;
        return environment;
    }

    private static async Task<string> ScrapeAsync(HttpClient http, HostProcess host, CancellationToken ct) =>
        await http.GetStringAsync(new Uri(host.BaseAddress, "/metrics"), ct);

    /// <summary>The sum of a metric's samples (over its labels) in a Prometheus text exposition; 0 when absent.</summary>
    private static double Value(string exposition, string metric) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private static async Task<(int Exit, string Output)> RunAsync(string program, string[] arguments, string? connectionString, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program.EndsWith(".dll", StringComparison.Ordinal) ? "dotnet" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program.EndsWith(".dll", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(program);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (connectionString is not null)
        {
            info.Environment["SAMPLEMIND_PG"] = connectionString;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"[\w.]+\.dll")]
    private static partial Regex DllName();

    [GeneratedRegex(@"http://[^\s|]+")]
    private static partial Regex HealthUrl();

    [GeneratedRegex(@"ASPNETCORE_URLS=http://\+:(\d+)")]
    private static partial Regex PortInUrls();

    [GeneratedRegex(@"\norleans_\w+")]
    private static partial Regex OrleansMetric();
}
