using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.TestingHost;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;
using SampleMind.Campaigns;
using SampleMind.ClientApi.Apis;
using SampleMind.ClientApi.Dashboard;
using SampleMind.ClientApi.Hosting;
using SampleMind.ClientApi.Privacy;
using SampleMind.Cohorts;
using SampleMind.Experiments;
using SampleMind.FunnelMetrics;
using SampleMind.Hosting;
using SampleMind.Segments;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.IntegrationTests.Privacy;

/// <summary>
/// The aggregation threshold (k = 5, the default) on every group endpoint over real HTTP and real aggregate grains on
/// PostgreSQL: the grains hold groups of exactly k-1 and k people (set as reconcile --fix sets them); the admin key sees
/// every figure as the grain answers it, the read key (and growth, privacy) the same with exactly the withheld ones null.
/// </summary>
public sealed partial class SmallGroupThresholdTests(SmallGroupThresholdTests.Host host) : IClassFixture<SmallGroupThresholdTests.Host>
{
    private static readonly DateOnly Day = new(2026, 3, 2);

    /// <summary>One cluster, seeded once, and client-api's group and user endpoints over it, for every test of a class.</summary>
    public sealed class Host : IAsyncLifetime
    {
        private PostgresDatabase _database = null!;
        private WebApplication _app = null!;

        public InProcessTestCluster Cluster { get; private set; } = null!;

        public Uri Address { get; private set; } = null!;

        public IServiceProvider Services => _app.Services;

        public async ValueTask InitializeAsync()
        {
            _database = await PostgresDatabase.CreateAsync();
            var cluster = new InProcessTestClusterBuilder(initialSilosCount: 1);
            cluster.ConfigureSilo((_, silo) =>
            {
                silo.AddAdoNetGrainStorage("Default", options =>
                {
                    options.Invariant = "Npgsql";
                    options.ConnectionString = _database.ConnectionString;
                });
                silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(_database.ConnectionString));
                silo.Services.AddSampleMindUsers();
            });
            Cluster = cluster.Build();
            await Cluster.DeployAsync();
            await SeedAsync(Cluster.Client);

            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(TestApiKeys.Settings().Append(new("urls", "http://127.0.0.1:0")));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.AddApiSecurity();
            builder.AddPrivacy();
            builder.Services.AddSingleton(Cluster.Client);
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(_database.ConnectionString));
            _app = builder.Build();
            _app.MapCohortsApi();
            _app.MapFeaturesApi();
            _app.MapSegmentsApi();
            _app.MapFunnelsApi();
            _app.MapCampaignsApi();
            _app.MapExperimentsApi();
            _app.MapUsersApi();
            await _app.StartAsync();
            Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        }

        public async ValueTask DisposeAsync()
        {
            await _app.DisposeAsync();
            await Cluster.DisposeAsync();
            await _database.DisposeAsync();
        }
    }

    /// <summary>The groups: each endpoint has one of k-1 people and one of k (and the complements the rules protect).</summary>
    private static async Task SeedAsync(IClusterClient client)
    {
        await SeedFeaturesAsync(client);
        var person = new EventBuilder(PiiMaskingTests.Person);
        await client.GetGrain<IUserGrain>(PiiMaskingTests.Person).IngestAsync([.. new[]
        {
            person.Identify(DateTimeOffset.UtcNow.AddDays(-2), PiiMaskingTests.Traits),
            person.Track("page_view", DateTimeOffset.UtcNow.AddDays(-1)),
        }.Select(json =>
        {
            var f = EventFacts.Parse(json);
            return new UserEvent(f.MessageId, f.Type, f.Name, f.Timestamp, json);
        })]);

        await client.GetGrain<ICohortGrain>("2026-01").ResetAsync(new CohortTotals
        {
            Size = 4,
            Months = new() { [0] = new CohortMonthTotals(4, 40m) },
        });
        await client.GetGrain<ICohortGrain>("2026-02").ResetAsync(new CohortTotals
        {
            Size = 5,
            Months = new() { [0] = new CohortMonthTotals(4, 36m), [1] = new CohortMonthTotals(5, 55m) },
        });

        // Day 0: power_users 4 (k-1), regulars 5 (its complement), explorers 7, dormant 20. Day 1: every count ≥ k, one
        // move of 5 (withheld: it joins day 0's withheld counts to day 1's). Day 2: a move of 4 (k-1). Day 3: moves of 5, 6.
        var d = Day.DayNumber;
        await client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).ResetAsync(new SegmentTotals
        {
            Changes = new()
            {
                [d] = new() { [SegmentNames.PowerUsers] = 4, [SegmentNames.Regulars] = 5, [SegmentNames.Explorers] = 7, [SegmentNames.Dormant] = 20 },
                [d + 1] = new() { [SegmentNames.PowerUsers] = 5, [SegmentNames.Regulars] = -5 },
                [d + 2] = new() { [SegmentNames.Dormant] = -4, [SegmentNames.Explorers] = 4 },
                [d + 3] = new() { [SegmentNames.PowerUsers] = 5, [SegmentNames.Explorers] = -5, [SegmentNames.Regulars] = 6, [SegmentNames.Dormant] = -6 },
            },
            Transitions = new()
            {
                [d + 1] = new() { [$"{SegmentNames.Regulars}>{SegmentNames.PowerUsers}"] = 5 },
                [d + 2] = new() { [$"{SegmentNames.Dormant}>{SegmentNames.Explorers}"] = 4 },
                [d + 3] = new()
                {
                    [$"{SegmentNames.Explorers}>{SegmentNames.PowerUsers}"] = 5,
                    [$"{SegmentNames.Dormant}>{SegmentNames.Regulars}"] = 6,
                },
            },
        });

        var steps = Funnels.ActivationSteps.Count;
        long[] users = [9, 5, 4, 0, 0];
        await client.GetGrain<IFunnelGrain>(Funnels.Activation).ResetAsync(new FunnelTotals
        {
            StepUsers = users,
            Durations = [.. Enumerable.Range(1, steps - 1).Select(k => Histogram(users[k]))],
        });

        await client.GetGrain<ICampaignGrain>("k-1").ResetAsync(Campaign(4, 3, 2, 100m), Campaign(4, 3, 2, 100m));
        await client.GetGrain<ICampaignGrain>("k").ResetAsync(Campaign(5, 5, 0, 0m), Campaign(5, 5, 0, 0m));
        await client.GetGrain<ICampaignGrain>("k-1-not-signed-up").ResetAsync(Campaign(10, 6, 5, 250m), Campaign(10, 6, 5, 250m));
        await client.GetGrain<ICampaignGrain>("k-1-payers").ResetAsync(Campaign(9, 9, 4, 120m), Campaign(9, 9, 4, 120m));
        foreach (var id in new[] { "k-1", "k", "k-1-not-signed-up", "k-1-payers" })
        {
            await client.GetGrain<ICampaignGrain>(id).AddSpendAsync(500m, Day, $"spend-{id}");
        }

        foreach (var key in new[] { "small-treatment", "small-control" })
        {
            var spec = new ExperimentSpec(key, [new VariantSpec("control", 0.5, null), new VariantSpec("treatment", 0.5, null)],
                EventNames.PaymentSucceeded, 14, null);
            Assert.Equal(ExperimentCreation.Created, await client.GetGrain<IExperimentGrain>(key).CreateAsync(spec));
        }
        await client.GetGrain<IExperimentGrain>("small-treatment").ResetAsync(new ExperimentTotals(new()
        {
            ["control"] = new VariantTotals(20, 5, 15, 150m, 4500m),
            ["treatment"] = new VariantTotals(4, 2, 1, 60m, 1800m),
        }));
        await client.GetGrain<IExperimentGrain>("small-control").ResetAsync(new ExperimentTotals(new()
        {
            ["control"] = new VariantTotals(20, 4, 5, 120m, 3600m),
            ["treatment"] = new VariantTotals(20, 10, 4, 300m, 9000m),
        }));
    }

    private static long[] Histogram(long users)
    {
        var buckets = new long[DurationHistogram.BucketCount];
        buckets[3] = users;
        return buckets;
    }

    private static CampaignTotals Campaign(int users, int signups, int conversions, decimal revenue)
        => new() { Users = users, Signups = signups, Conversions = conversions, Revenue = revenue };

    public static TheoryData<string> NonAdminKeys => [TestApiKeys.Read, TestApiKeys.Growth, TestApiKeys.Privacy];

    [Fact]
    public async Task AdminKey_SeesEveryFigure_AsTheGrainsHoldThem()
    {
        var client = host.Cluster.Client;
        var cohorts = await GetAsync<CohortRow[]>(TestApiKeys.Admin, "/api/cohorts");
        Assert.Equal(Json(new[] { await client.GetGrain<ICohortGrain>("2026-01").GetAsync(), await client.GetGrain<ICohortGrain>("2026-02").GetAsync() }),
            Json(cohorts.OrderBy(c => c.Cohort, StringComparer.Ordinal)));
        Assert.All(cohorts, c => Assert.False(c.Suppressed));

        var segments = await GetAsync<SegmentDayRow[]>(TestApiKeys.Admin, SegmentsPath);
        Assert.Equal(Json(await client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).GetDaysAsync(Day, Day.AddDays(3))), Json(segments));
        Assert.Equal(4, segments[0].Counts[SegmentNames.PowerUsers]);
        Assert.Equal(4, segments[2].Transitions.Single().Users);

        var funnel = await GetAsync<FunnelView>(TestApiKeys.Admin, "/api/funnels/activation");
        Assert.Equal(Json(await client.GetGrain<IFunnelGrain>(Funnels.Activation).GetAsync()), Json(funnel));
        Assert.Equal([9L, 5L, 4L, 0L, 0L], funnel.Steps.Select(s => s.Users!.Value));

        var campaigns = await GetAsync<CampaignView[]>(TestApiKeys.Admin, "/api/campaigns");
        foreach (var view in campaigns)
        {
            Assert.Equal(Json(await client.GetGrain<ICampaignGrain>(view.Id).GetAsync()), Json(view));
        }
        Assert.Equal(4, campaigns.Single(c => c.Id == "k-1").Users);

        var experiments = await GetAsync<ExperimentView[]>(TestApiKeys.Admin, "/api/experiments");
        Assert.Equal(2, experiments.Length);
        foreach (var view in experiments)
        {
            Assert.Equal(Json(await client.GetGrain<IExperimentGrain>(view.Key).GetAsync()), Json(view));
            Assert.Equal(Json(view), Json(await GetAsync<ExperimentView>(TestApiKeys.Admin, $"/api/experiments/{view.Key}")));
        }
    }

    [Theory]
    [MemberData(nameof(NonAdminKeys))]
    public async Task Cohorts_UnderK_AreSuppressed(string key)
    {
        var admin = (await GetAsync<CohortRow[]>(TestApiKeys.Admin, "/api/cohorts")).ToDictionary(c => c.Cohort);
        var rows = (await GetAsync<CohortRow[]>(key, "/api/cohorts")).ToDictionary(c => c.Cohort);
        Assert.Equal(Json(new CohortRow { Cohort = "2026-01", Size = null, Months = [], Suppressed = true }), Json(rows["2026-01"]));
        var five = admin["2026-02"];
        Assert.Equal(Json(five with
        {
            Months = [five.Months[0] with { Users = null, TotalRevenue = null, RevenuePerUser = null, Suppressed = true }, five.Months[1]],
            Suppressed = true,
        }), Json(rows["2026-02"]));
        Assert.Equal((5, 5, 55m), (rows["2026-02"].Size, rows["2026-02"].Months[1].Users, rows["2026-02"].Months[1].TotalRevenue));
    }

    [Theory]
    [MemberData(nameof(NonAdminKeys))]
    public async Task Segments_UnderK_AreSuppressed_WithTheirComplementAndTheMovesThatJoinThem(string key)
    {
        var admin = await GetAsync<SegmentDayRow[]>(TestApiKeys.Admin, SegmentsPath);
        Assert.Equal([Counts(4, 5, 7, 20), Counts(9, 0, 7, 20), Counts(9, 0, 11, 16), Counts(14, 6, 6, 10)],
            admin.Select(r => Counts(r.Counts[SegmentNames.PowerUsers], r.Counts[SegmentNames.Regulars], r.Counts[SegmentNames.Explorers], r.Counts[SegmentNames.Dormant])));
        var rows = await GetAsync<SegmentDayRow[]>(key, SegmentsPath);
        Assert.Equal(Json(new[]
        {
            // The 4 power users (k-1) and, as the day's only small count, the smallest other one: the 5 regulars.
            admin[0] with
            {
                Counts = admin[0].Counts.ToDictionary(c => c.Key, c => c.Key is SegmentNames.PowerUsers or SegmentNames.Regulars ? null : c.Value),
                Suppressed = true,
            },
            // Every count ≥ k, but the move of 5 would give day 0's regulars back.
            admin[1] with { Transitions = [new SegmentMove(SegmentNames.Regulars, SegmentNames.PowerUsers, null)], Suppressed = true },
            admin[2] with { Transitions = [new SegmentMove(SegmentNames.Dormant, SegmentNames.Explorers, null)], Suppressed = true },
            admin[3],
        }), Json(rows));
        Assert.Equal([5, 6], rows[3].Transitions.Select(m => m.Users!.Value).Order());
    }

    [Theory]
    [MemberData(nameof(NonAdminKeys))]
    public async Task Funnel_StepsUnderK_AreSuppressed(string key)
    {
        var admin = await GetAsync<FunnelView>(TestApiKeys.Admin, "/api/funnels/activation");
        var view = await GetAsync<FunnelView>(key, "/api/funnels/activation");
        Assert.Equal([9L, 5L, null, 0L, 0L], view.Steps.Select(s => s.Users));
        Assert.Equal(Json(admin.Steps[..2]), Json(view.Steps[..2]));
        Assert.Equal(Json(admin.Steps[2] with
        {
            Users = null, Conversion = null, MedianSecondsFromPrevious = null, MedianBucketLowerSeconds = null,
            MedianBucketUpperSeconds = null, Suppressed = true,
        }), Json(view.Steps[2]));
        Assert.Equal(Json(admin.Steps[3] with { Conversion = null, Suppressed = true }), Json(view.Steps[3]));
    }

    [Theory]
    [MemberData(nameof(NonAdminKeys))]
    public async Task Campaigns_UnderK_AreSuppressed_InTheListAndOne(string key)
    {
        foreach (var model in new[] { "first_touch", "last_touch" })
        {
            var admin = (await GetAsync<CampaignView[]>(TestApiKeys.Admin, $"/api/campaigns?model={model}")).ToDictionary(c => c.Id);
            var list = (await GetAsync<CampaignView[]>(key, $"/api/campaigns?model={model}")).ToDictionary(c => c.Id);
            var expected = new Dictionary<string, CampaignView>
            {
                ["k-1"] = admin["k-1"] with { Users = null, Signups = null, Conversions = null, Revenue = null, Cac = null, Ltv = null, Roi = null, Suppressed = true },
                ["k"] = admin["k"],
                ["k-1-not-signed-up"] = admin["k-1-not-signed-up"] with { Signups = null, Suppressed = true },
                ["k-1-payers"] = admin["k-1-payers"] with { Conversions = null, Revenue = null, Cac = null, Ltv = null, Roi = null, Suppressed = true },
            };
            Assert.Equal(Json(expected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)),
                Json(list.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)));
            Assert.Equal((5, 5, 0, 500m), (list["k"].Users!.Value, list["k"].Signups!.Value, list["k"].Conversions!.Value, list["k"].Spend));
            Assert.Equal(500m, list["k-1"].Spend);
            foreach (var (id, view) in expected)
            {
                Assert.Equal(Json(view), Json(await GetAsync<CampaignView>(key, $"/api/campaigns/{id}?model={model}")));
            }
        }
    }

    [Theory]
    [MemberData(nameof(NonAdminKeys))]
    public async Task Experiments_VariantsUnderK_AreSuppressed(string key)
    {
        var admin = (await GetAsync<ExperimentView[]>(TestApiKeys.Admin, "/api/experiments")).ToDictionary(e => e.Key);
        var list = (await GetAsync<ExperimentView[]>(key, "/api/experiments")).ToDictionary(e => e.Key);

        var small = admin["small-treatment"];
        var expectedSmall = small with
        {
            Variants =
            [
                small.Variants[0],
                small.Variants[1] with
                {
                    Exposed = null, Conversions = null, Rate = null, RevenuePerVisitor = null, Churn = null, Diff = null, CiLow = null,
                    CiHigh = null, Z = null, PValue = null, SequentialPValue = null, RevenueDiff = null, RevenueCiLow = null,
                    RevenueCiHigh = null, RevenuePValue = null, Suppressed = true,
                },
            ],
            SrmPValue = null,
            SampleRatioMismatch = false,
        };
        Assert.Equal(Json(expectedSmall), Json(list["small-treatment"]));
        Assert.Equal((20L, 5L), (list["small-treatment"].Variants[0].Exposed!.Value, list["small-treatment"].Variants[0].Conversions!.Value));

        // The control's 4 converters: its conversions withheld, and every difference from it; churn 4 of 20 withheld too.
        var control = admin["small-control"];
        var expectedControl = control with
        {
            Variants =
            [
                control.Variants[0] with { Conversions = null, Rate = null, RevenuePerVisitor = null, Suppressed = true },
                control.Variants[1] with
                {
                    Churn = null, Diff = null, CiLow = null, CiHigh = null, Z = null, PValue = null, SequentialPValue = null,
                    RevenueDiff = null, RevenueCiLow = null, RevenueCiHigh = null, RevenuePValue = null, Suppressed = true,
                },
            ],
        };
        Assert.Equal(Json(expectedControl), Json(list["small-control"]));
        Assert.Equal(5.0 / 20, list["small-control"].Variants[0].Churn);
        Assert.Equal(Json(expectedControl), Json(await GetAsync<ExperimentView>(key, "/api/experiments/small-control")));
    }

    /// <summary>The dashboard's stream shows the same lists as the endpoints, for each key (the snapshot is shared, the threshold per stream).</summary>
    [Theory]
    [InlineData(TestApiKeys.Admin)]
    [InlineData(TestApiKeys.Read)]
    [InlineData(TestApiKeys.Growth)]
    [InlineData(TestApiKeys.Privacy)]
    public async Task Dashboard_LiveLists_AreSuppressedPerKey_AsTheEndpointsAre(string key)
    {
        var campaigns = await GetAsync<CampaignView[]>(TestApiKeys.Admin, "/api/campaigns");
        var funnel = await GetAsync<FunnelView>(TestApiKeys.Admin, "/api/funnels/activation");
        var cohorts = await GetAsync<CohortRow[]>(TestApiKeys.Admin, "/api/cohorts");
        var experiments = await GetAsync<ExperimentView[]>(TestApiKeys.Admin, "/api/experiments");
        var totals = new Dictionary<string, ExperimentTotals>(StringComparer.Ordinal);
        foreach (var e in experiments)
        {
            totals[e.Key] = await host.Cluster.Client.GetGrain<IExperimentGrain>(e.Key).GetTotalsAsync();
        }
        var snapshot = new LiveSnapshot(DateTimeOffset.UtcNow, new LiveTiles(Day, 0, 0, 0, 0m, 0m, null, null, "trailing-30d", null, null, null), [], [],
            campaigns, [funnel], cohorts, experiments, [], totals);

        var role = TestApiKeys.Roles.Single(r => r.Key == key).Role;
        var caller = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, role)], "test"));
        var groups = host.Services.GetRequiredService<SmallGroupPolicy>().For(caller);
        Assert.Equal(key == TestApiKeys.Admin, groups is null);
        var shown = groups is null ? snapshot : snapshot.Suppressed(groups);

        Assert.Equal(Json(await GetAsync<CampaignView[]>(key, "/api/campaigns")), Json(shown.Campaigns));
        Assert.Equal(Json(await GetAsync<FunnelView>(key, "/api/funnels/activation")), Json(Assert.Single(shown.Funnels)));
        Assert.Equal(Json(await GetAsync<CohortRow[]>(key, "/api/cohorts")), Json(shown.Cohorts));
        Assert.Equal(Json(await GetAsync<ExperimentView[]>(key, "/api/experiments")), Json(shown.Experiments));
        Assert.Equal(key == TestApiKeys.Admin ? 0 : 3, shown.Campaigns.Count(c => c.Suppressed));
    }

    private const string SegmentsPath = "/api/segments?from=2026-03-02&to=2026-03-05";

    private static string Counts(int? power, int? regulars, int? explorers, int? dormant) => $"{power} {regulars} {explorers} {dormant}";

    private async Task<T> GetAsync<T>(string key, string path)
    {
        using var http = TestApiKeys.Client(host.Address, TimeSpan.FromSeconds(30), key);
        return (await http.GetFromJsonAsync<T>(path, JsonSerializerOptions.Web, TestContext.Current.CancellationToken))!;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, JsonSerializerOptions.Web);
}
