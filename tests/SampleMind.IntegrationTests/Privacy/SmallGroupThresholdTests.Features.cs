using System.Net;
using System.Text.Json.Nodes;
using SampleMind.Features;
using SampleMind.Testing;

namespace SampleMind.IntegrationTests.Privacy;

/// <summary>GET /api/features and /api/features/{feature} under the threshold (k = 5).</summary>
public sealed partial class SmallGroupThresholdTests
{
    private static readonly DateOnly WeekA = new(2026, 3, 2), WeekB = new(2026, 3, 9), WeekC = new(2026, 3, 16);

    /// <summary>
    /// feat-small: 4 adopters (k-1). feat-mixed: week A 4 adopters; week B 10 adopters of whom 6 retained (4 not), 8
    /// non-adopters of whom 3 retained. feat-k: 5 adopters, none retained, 10 non-adopters of whom 5 retained.
    /// </summary>
    private static async Task SeedFeaturesAsync(IClusterClient client)
    {
        static FeatureTotals Totals(params (DateOnly Week, FeatureWeekTotals Cell)[] weeks)
            => new() { Weeks = weeks.ToDictionary(w => w.Week, w => w.Cell) };
        await client.GetGrain<IFeatureGrain>("feat-small").ResetAsync(Totals((WeekA, new(4, 6, 1, 20m, 4, 1))));
        await client.GetGrain<IFeatureGrain>("feat-mixed").ResetAsync(Totals(
            (WeekA, new(4, 9, 2, 40m, 4, 2)), (WeekB, new(10, 25, 6, 200m, 12, 7))));
        await client.GetGrain<IFeatureGrain>("feat-k").ResetAsync(Totals((WeekC, new(5, 10, 0, 50m, 5, 0))));
        await client.GetGrain<IActivityWeekGrain>("2026-03-02").ResetAsync(new ActivityWeekTotals { Active = 15, Retained = 9 });
        await client.GetGrain<IActivityWeekGrain>("2026-03-09").ResetAsync(new ActivityWeekTotals { Active = 20, Retained = 10 });
        await client.GetGrain<IActivityWeekGrain>("2026-03-16").ResetAsync(new ActivityWeekTotals { Active = 15, Retained = 5 });
    }

    [Fact]
    public async Task Features_AdminKey_SeesEveryFigure_AsTheGrainsHoldThem()
    {
        var rows = (await GetAsync<FeatureRow[]>(TestApiKeys.Admin, "/api/features")).ToDictionary(r => r.Feature);
        Assert.Equal(["feat-k", "feat-mixed", "feat-small"], rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (feature, row) in rows)
        {
            Assert.Equal(Json(await host.Cluster.Client.GetGrain<IFeatureGrain>(feature).GetAsync()), Json(row));
            Assert.False(row.Suppressed);
        }
        var b = rows["feat-mixed"].Weeks[1];
        Assert.Equal((WeekB, 10L, 25L, 2.5m, 6L, 0.6m, 8L, 3L, 0.375m, 0.225m, 200m),
            (b.AdoptionWeek, b.Adopters!.Value, b.Uses!.Value, b.AverageUsage!.Value, b.RetainedAdopters!.Value, b.Retention!.Value,
             b.NonAdopters!.Value, b.RetainedNonAdopters!.Value, b.NonAdopterRetention!.Value, b.RetentionImpact!.Value, b.AdopterRevenue!.Value));
        // Revenue impact 240 / 14 adopters; week B's feature value = 10 × that, rounded to 6 decimals.
        Assert.Equal((14L, 240m, 17.142857m, 171.428571m),
            (rows["feat-mixed"].Adopters!.Value, rows["feat-mixed"].AdopterRevenue!.Value, rows["feat-mixed"].RevenueImpact!.Value, b.FeatureValue!.Value));
    }

    [Theory]
    [MemberData(nameof(NonAdminKeys))]
    public async Task Features_UnderK_AreSuppressed(string key)
    {
        var admin = (await GetAsync<FeatureRow[]>(TestApiKeys.Admin, "/api/features")).ToDictionary(r => r.Feature);
        var rows = (await GetAsync<FeatureRow[]>(key, "/api/features")).ToDictionary(r => r.Feature);

        Assert.Equal(Json(new FeatureRow
        {
            Feature = "feat-small", Adopters = null, Uses = null, AdopterRevenue = null, RevenueImpact = null, Weeks = [], Suppressed = true,
        }), Json(rows["feat-small"]));

        var mixed = admin["feat-mixed"];
        Assert.Equal(Json(mixed with
        {
            Adopters = null, Uses = null, AdopterRevenue = null, Suppressed = true,
            Weeks =
            [
                mixed.Weeks[0] with
                {
                    Adopters = null, Uses = null, AverageUsage = null, RetainedAdopters = null, Retention = null, NonAdopters = null,
                    RetainedNonAdopters = null, NonAdopterRetention = null, RetentionImpact = null, AdopterRevenue = null,
                    FeatureValue = null, Suppressed = true,
                },
                mixed.Weeks[1] with
                {
                    RetainedAdopters = null, Retention = null, RetainedNonAdopters = null, NonAdopterRetention = null,
                    RetentionImpact = null, Suppressed = true,
                },
            ],
        }), Json(rows["feat-mixed"]));
        Assert.Equal(8, rows["feat-mixed"].Weeks[1].NonAdopters);

        Assert.Equal(Json(admin["feat-k"]), Json(rows["feat-k"]));
        Assert.Equal(Json(admin["feat-k"]), Json(await GetAsync<FeatureRow>(key, "/api/features/feat-k")));
        Assert.Equal(Json(rows["feat-mixed"]), Json(await GetAsync<FeatureRow>(key, "/api/features/feat-mixed")));
    }

    [Fact]
    public async Task Feature_NobodyUsed_Is404ProblemDetails()
    {
        using var http = TestApiKeys.Client(host.Address, TimeSpan.FromSeconds(30), TestApiKeys.Read);
        using var response = await http.GetAsync("/api/features/never-used", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal((404, "Feature not found"), ((int)problem["status"]!, (string)problem["title"]!));
        Assert.False(await host.Cluster.Client.GetGrain<Rollups.IRollupCatalogGrain>(Rollups.IRollupCatalogGrain.Features).ContainsAsync("never-used"));
    }
}
