using System.Reflection;
using Orleans.Hosting.Kubernetes;
using SampleMind.ClientApi.Dashboard;
using SampleMind.ClientApi.Hosting;
using SampleMind.ClientApi.Ingest;
using SampleMind.ClientApi.Security;
using SampleMind.Hosting;
using SampleMind.Operations;
using YamlDotNet.RepresentationModel;

namespace SampleMind.IntegrationTests.Deployment;

/// <summary>
/// The Kubernetes manifests held to the code: each overlay renders, every configuration key, port, probe, label and
/// secret key they name exists in the hosts (the options classes the hosts bind) or in the manifests themselves.
/// </summary>
public sealed class DeploymentManifestTests
{
    private static readonly HostConfiguration Silo = new("silo", new Dictionary<string, Type>
    {
        [SiloHostOptions.SectionName] = typeof(SiloHostOptions),
        [DatabaseOptions.SectionName] = typeof(DatabaseOptions),
        [MetricsOptions.SectionName] = typeof(MetricsOptions),
        [SampleMind.Churn.ChurnModelOptions.SectionName] = typeof(SampleMind.Churn.ChurnModelOptions),
        [SampleMind.Outbox.OutboxOptions.SectionName] = typeof(SampleMind.Outbox.OutboxOptions),
        [SampleMind.Alerts.AlertOptions.SectionName] = typeof(SampleMind.Alerts.AlertOptions),
        ["Users"] = typeof(SampleMind.Users.UserGrainOptions),
        ["UserIndex"] = typeof(SampleMind.Users.UserIndexOptions),
        ["Rollups"] = typeof(SampleMind.Rollups.RollupOptions),
    });

    private static readonly HostConfiguration ClientApi = new("client-api", new Dictionary<string, Type>
    {
        [ClusterClientOptions.SectionName] = typeof(ClusterClientOptions),
        [ClientDatabaseOptions.SectionName] = typeof(ClientDatabaseOptions),
        [MetricsOptions.SectionName] = typeof(MetricsOptions),
        [ApiKeyOptions.SectionName] = typeof(ApiKeyOptions),
        [IngestOptions.SectionName] = typeof(IngestOptions),
        [DashboardOptions.SectionName] = typeof(DashboardOptions),
    });

    private static readonly HostConfiguration Cli = new("cli", new Dictionary<string, Type>());

    /// <summary>Variables the platform reads rather than the configuration: the URLs, the connection string, Orleans' Kubernetes hosting.</summary>
    private static readonly HashSet<string> PlatformVariables =
    [
        "ASPNETCORE_URLS", "SAMPLEMIND_PG",
        .. typeof(KubernetesHostingOptions).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("EnvironmentVariable", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!),
    ];

    public static TheoryData<string> Overlays => [.. DeploymentManifests.Overlays];

    private static HostConfiguration? HostOf(string image) => image.Split(':')[0].Split('/')[^1] switch
    {
        "silo" => Silo,
        "client-api" => ClientApi,
        "cli" => Cli,
        _ => null, // not ours (the local overlay's PostgreSQL)
    };

    [Theory]
    [MemberData(nameof(Overlays))]
    public void EveryConfigurationKey_TheOverlayGivesAHost_BindsToThatHostsOptions(string overlay)
    {
        var objects = DeploymentManifests.Render(overlay);
        var checkedKeys = 0;
        var problems = new List<string>();
        foreach (var (workload, container, host) in OurContainers(objects))
        {
            foreach (var variable in container.Environment(objects).Keys)
            {
                if (PlatformVariables.Contains(variable))
                {
                    continue;
                }
                checkedKeys++;
                if (host.Problem(variable) is { } problem)
                {
                    problems.Add($"{workload.Name()}: {problem}");
                }
            }
        }
        Assert.Empty(problems);
        Assert.True(checkedKeys >= 15, $"only {checkedKeys} configuration keys were checked");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Ports_Probes_AndServices_AgreeWithTheHostsSettings(string overlay)
    {
        var objects = DeploymentManifests.Render(overlay);
        var workloads = OurContainers(objects).Where(c => c.Workload.Kind() == "Deployment").ToList();
        Assert.Equal(["samplemind-client-api", "samplemind-silo"], workloads.Select(w => w.Workload.Name()).Order());
        foreach (var (workload, container, host) in workloads)
        {
            var environment = container.Environment(objects);
            var ports = container.Seq("ports").ToDictionary(p => p.Scalar("name"), p => int.Parse(p.Scalar("containerPort")));
            // The web port is the one ASP.NET Core listens on.
            Assert.Equal(new Uri(environment["ASPNETCORE_URLS"]!.Replace("+", "localhost", StringComparison.Ordinal)).Port, ports["http"]);
            if (host == Silo)
            {
                Assert.Equal(int.Parse(environment["Orleans__SiloPort"]!), ports["silo"]);
                Assert.Equal(int.Parse(environment["Orleans__GatewayPort"]!), ports["gateway"]);
                Assert.Equal("true", environment["Orleans__KubernetesHosting"]);
            }
            foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" }.Select(container.MapOrNull).OfType<YamlMappingNode>())
            {
                var get = probe.Map("httpGet");
                Assert.Contains(get.Scalar("port"), ports.Keys);
                Assert.Contains(get.Scalar("path"), HostProbePaths);
            }
            Assert.Equal("/health/live", container.Map("livenessProbe").Map("httpGet").Scalar("path"));
            Assert.Equal("/health/ready", container.Map("readinessProbe").Map("httpGet").Scalar("path"));
            Assert.True(container.Map("resources").Map("requests").Pairs().ContainsKey("cpu"), $"{workload.Name()} requests no CPU");

            var template = workload.Map("spec").Map("template");
            var labels = template.Map("metadata").Map("labels").Pairs();
            var annotations = template.Map("metadata").MapOrNull("annotations").Pairs();
            Assert.Equal(ports["http"].ToString(System.Globalization.CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
            Assert.Equal("/metrics", annotations["prometheus.io/path"]);
            Assert.Equal("true", environment["Metrics__AllowRemote"]);

            // Every Service selecting these pods targets a port they name; a PodDisruptionBudget covers them.
            var services = objects.Where(o => o.Kind() == "Service" && Selects(o.Map("spec").Map("selector").Pairs(), labels)).ToList();
            Assert.NotEmpty(services);
            Assert.All(services.SelectMany(s => s.Map("spec").Seq("ports")), p => Assert.Contains(p.Scalar("targetPort"), ports.Keys));
            Assert.Single(objects, o => o.Kind() == "PodDisruptionBudget" && Selects(o.Map("spec").Map("selector").Map("matchLabels").Pairs(), labels));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Silos_FormOneCluster_WithClientApi_AndMayListTheirPods(string overlay)
    {
        var objects = DeploymentManifests.Render(overlay);
        var (silo, siloContainer, _) = OurContainers(objects).Single(c => c.Workload.Name() == "samplemind-silo");
        var (_, clientContainer, _) = OurContainers(objects).Single(c => c.Workload.Name() == "samplemind-client-api");
        var labels = silo.Map("spec").Map("template").Map("metadata").Map("labels").Pairs();
        var siloEnvironment = siloContainer.Environment(objects);
        var clientEnvironment = clientContainer.Environment(objects);

        // Orleans' Kubernetes hosting takes the ids from the pod labels; client-api takes them from its configuration.
        Assert.Equal(labels["orleans/clusterId"], clientEnvironment["Orleans__ClusterId"]);
        Assert.Equal(labels["orleans/serviceId"], clientEnvironment["Orleans__ServiceId"]);
        Assert.Equal(labels["orleans/clusterId"], siloEnvironment["Orleans__ClusterId"]);
        var fromLabels = siloContainer.Seq("env").Where(e => e.MapOrNull("valueFrom")?.MapOrNull("fieldRef") is not null)
            .ToDictionary(e => e.Scalar("name"), e => e.Map("valueFrom").Map("fieldRef").Scalar("fieldPath"));
        Assert.Equal("metadata.labels['orleans/clusterId']", fromLabels[KubernetesHostingOptions.ClusterIdEnvironmentVariable]);
        Assert.Equal("metadata.labels['orleans/serviceId']", fromLabels[KubernetesHostingOptions.ServiceIdEnvironmentVariable]);
        Assert.Equal("status.podIP", fromLabels[KubernetesHostingOptions.PodIPEnvironmentVariable]);
        Assert.Equal("metadata.name", fromLabels[KubernetesHostingOptions.PodNameEnvironmentVariable]);

        // RBAC: the silos' service account may list, watch and delete pods in the namespace.
        var account = silo.PodSpec().Scalar("serviceAccountName");
        var binding = objects.Single(o => o.Kind() == "RoleBinding" && o.Map("roleRef").Scalar("kind") == "Role"
            && o.Seq("subjects").Any(s => s.Scalar("kind") == "ServiceAccount" && s.Scalar("name") == account));
        var role = objects.Single(o => o.Kind() == "Role" && o.Name() == binding.Map("roleRef").Scalar("name"));
        var podRule = role.Seq("rules").Single(r => r.Strings("resources").Contains("pods"));
        Assert.Superset(new HashSet<string> { "get", "list", "watch", "delete" }, podRule.Strings("verbs").ToHashSet());
        Assert.Contains(objects, o => o.Kind() == "ServiceAccount" && o.Name() == account);

        // Graceful shutdown has time to deactivate grains and write snapshots; client-api scales on CPU.
        Assert.True(int.Parse(silo.PodSpec().Scalar("terminationGracePeriodSeconds")) >= 60);
        var hpa = objects.Single(o => o.Kind() == "HorizontalPodAutoscaler");
        Assert.Equal("samplemind-client-api", hpa.Map("spec").Map("scaleTargetRef").Scalar("name"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Secrets_TheWorkloadsRead_AreTheOnesTheOverlayProvides(string overlay)
    {
        var objects = DeploymentManifests.Render(overlay);
        var referenced = objects.Where(o => o.Kind() is "Deployment" or "StatefulSet" or "Job")
            .SelectMany(o => o.PodSpec().Seq("containers"))
            .SelectMany(c => c.Seq("env"))
            .Select(e => e.MapOrNull("valueFrom")?.MapOrNull("secretKeyRef"))
            .OfType<YamlMappingNode>()
            .Select(r => (Name: r.Scalar("name"), Key: r.Scalar("key")))
            .ToHashSet();
        Assert.Equal(["samplemind-secrets"], referenced.Select(r => BaseName(r.Name, overlay)).Distinct());
        Assert.Contains("connection-string", referenced.Select(r => r.Key));
        Assert.Contains("migration-connection-string", referenced.Select(r => r.Key));
        var secrets = objects.Where(o => o.Kind() == "Secret").ToList();
        if (overlay == "production")
        {
            // Created out of band (never in git): the overlay documents each key it needs.
            Assert.Empty(secrets);
            var documentation = File.ReadAllText(Path.Combine(DeploymentManifests.K8sDirectory, "overlays", "production", "kustomization.yaml"));
            Assert.All(referenced, r => Assert.Contains($"--from-literal={r.Key}=", documentation, StringComparison.Ordinal));
            return;
        }
        foreach (var (name, key) in referenced)
        {
            // kustomize's generator suffixes the name with a hash and rewrites the references to match.
            var secret = Assert.Single(secrets, s => s.Name() == name);
            Assert.Contains(key, secret.Map("data").Pairs().Keys);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void TheMigrationJob_RunsTheCliCommand_OnTheDirectConnection(string overlay)
    {
        var objects = DeploymentManifests.Render(overlay);
        var job = Assert.Single(objects, o => o.Kind() == "Job");
        var container = job.PodSpec().Seq("containers").Single();
        Assert.Equal(Cli, HostOf(container.Scalar("image")));
        Assert.Equal(["db", "migrate"], container.Strings("args"));
        var connection = container.Seq("env").Single(e => e.Scalar("name") == "SAMPLEMIND_PG");
        Assert.Equal("migration-connection-string", connection.Map("valueFrom").Map("secretKeyRef").Scalar("key"));
        Assert.Equal(["db", "migrate"], DeploymentManifests.DockerfileFinalStage("cli.Dockerfile")["CMD"].Select(c => c.Trim('[', ']')).Single()
            .Split(',').Select(a => a.Trim().Trim('"')));
    }

    /// <summary>A generated secret's name without kustomize's content-hash suffix (the local overlay generates it).</summary>
    /// <summary>
    /// The Grafana dashboard in deploy/grafana imports as one: unique panel ids, panels that do not overlap on the
    /// grid, every query on the dashboard's Prometheus data-source variable, and every SampleMind metric it names is
    /// an instrument the code defines (the scrape of running hosts checks the rest: PublishedHostsProcessTests).
    /// </summary>
    [Fact]
    public void TheGrafanaDashboard_IsWellFormed_AndNamesOnlyInstrumentsTheCodeDefines()
    {
        using var dashboard = GrafanaDashboard.Load();
        Assert.Equal("datasource", dashboard.RootElement.GetProperty("templating").GetProperty("list")[0].GetProperty("name").GetString());
        var panels = GrafanaDashboard.Panels(dashboard);
        Assert.Equal(panels.Count, panels.Select(p => p.Id).Distinct().Count());
        var cells = new Dictionary<(int X, int Y), string>();
        foreach (var panel in panels)
        {
            var grid = panel.Element.GetProperty("gridPos");
            var (x, y, w, h) = (grid.GetProperty("x").GetInt32(), grid.GetProperty("y").GetInt32(), grid.GetProperty("w").GetInt32(), grid.GetProperty("h").GetInt32());
            Assert.True(x >= 0 && w > 0 && x + w <= 24 && h > 0, $"panel {panel.Title} is off the 24-column grid");
            for (var cx = x; cx < x + w; cx++)
            {
                for (var cy = y; cy < y + h; cy++)
                {
                    Assert.True(cells.TryAdd((cx, cy), panel.Title), $"panels {panel.Title} and {cells.GetValueOrDefault((cx, cy))} overlap");
                }
            }
            if (panel.Type != "row")
            {
                Assert.Equal("${datasource}", panel.Element.GetProperty("datasource").GetProperty("uid").GetString());
                Assert.NotEmpty(panel.Element.GetProperty("targets").EnumerateArray());
            }
        }

        var own = GrafanaDashboard.OwnInstrumentSeries();
        var queries = GrafanaDashboard.Queries(dashboard);
        var named = queries.SelectMany(q => GrafanaDashboard.Metrics(q.Expression)).Where(m => m.StartsWith("samplemind_", StringComparison.Ordinal)).ToHashSet();
        Assert.All(named, metric => Assert.True(own.ContainsKey(metric), $"the dashboard reads {metric}, which no SampleMind instrument exports"));
        // Every instrument of ours is on the dashboard (a histogram through one of its series).
        var shown = own.Where(s => named.Contains(s.Key)).Select(s => s.Value).ToHashSet();
        Assert.Equal(own.Values.Distinct().Order(), shown.Order());
    }

    private static string BaseName(string name, string overlay) =>
        overlay == "local" && name.LastIndexOf('-') is var dash and > 0 ? name[..dash] : name;

    /// <summary>The probe paths both hosts map (MapSampleMindHealth, client-api's UseClientApi).</summary>
    private static readonly string[] HostProbePaths = ["/health/live", "/health/ready"];

    private static bool Selects(Dictionary<string, string> selector, Dictionary<string, string> labels) =>
        selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);

    private static List<(YamlMappingNode Workload, YamlMappingNode Container, HostConfiguration Host)> OurContainers(IReadOnlyList<YamlMappingNode> objects) =>
        [.. objects.Where(o => o.Kind() is "Deployment" or "StatefulSet" or "Job")
            .SelectMany(o => o.PodSpec().Seq("containers").Select(c => (Workload: o, Container: c, Host: HostOf(c.Scalar("image")))))
            .Where(x => x.Host is not null)
            .Select(x => (x.Workload, x.Container, x.Host!))];
}
