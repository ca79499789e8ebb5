using Microsoft.Extensions.DependencyInjection;
using SampleMind.Features;
using SampleMind.Rollups;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Features;

/// <summary>A cluster whose feature ceiling is 2 distinct features.</summary>
public sealed class FeatureCeilingClusterFixture : ClusterFixture
{
    protected override void ConfigureServices(IServiceCollection services)
        => services.Configure<CardinalityOptions>(o => o.Features = 2);
}

[CollectionDefinition(Name)]
public sealed class FeatureCeilingClusterCollection : ICollectionFixture<FeatureCeilingClusterFixture>
{
    public const string Name = "feature-ceiling-cluster";
}

/// <summary>
/// Feature names come from clients (a public write key): past the ceiling they never become grains or catalogue keys;
/// they count under "(other)", a person's unadmitted features as one (earliest first use, uses summed), live as in SQL.
/// </summary>
[Collection(FeatureCeilingClusterCollection.Name)]
public sealed class FeatureCeilingTests(FeatureCeilingClusterFixture fixture)
{
    [Fact]
    public async Task FeaturesPastTheCeiling_CountUnderOther_AsOneFeaturePerPerson_LiveAsInSql()
    {
        var monday = new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero);
        // a and b are admitted (first seen); c, d and 500 hostile names are not.
        (string User, int Day, string Feature)[] uses =
        [
            ("ceil-1", 0, "a"), ("ceil-1", 1, "b"), ("ceil-1", 8, "c"), ("ceil-1", 2, "d"),
            ("ceil-2", 9, "a"), ("ceil-2", 10, "c"), ("ceil-2", 10, "c"),
            ("ceil-3", 3, "b"),
        ];
        var builders = uses.Select(u => u.User).Distinct().ToDictionary(u => u, u => new EventBuilder(u)); // one message id sequence each
        foreach (var (user, day, feature) in uses)
        {
            var builder = builders[user];
            await fixture.Client.GetGrain<IUserGrain>(user).IngestAsync([TestSupport.ToEvent(builder.Track("feature_used", monday.AddDays(day), new { feature }))]);
        }
        var hostile = new EventBuilder("ceil-hostile");
        await fixture.Client.GetGrain<IUserGrain>("ceil-hostile").IngestAsync(
            [.. Enumerable.Range(0, 500).Select(i => TestSupport.ToEvent(hostile.Track("feature_used", monday.AddDays(15).AddSeconds(i), new { feature = $"x{i}" })))]);

        Assert.Equal(["a", "b"], await fixture.Database.RowsAsync("select value from dimension_values where dimension = 'feature' order by 1"));
        await TestSupport.EventuallyAsync(async () =>
        {
            var (differences, features) = await FeatureReconciliation.CheckAsync(fixture.Client, fixture.Database.DataSource);
            return differences.Count == 0 && features == 3 ? null : $"{features} features: {string.Join("; ", differences.Take(5))}";
        });
        Assert.Equal(["(other)", "a", "b"], (await fixture.Client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.Features).GetKeysAsync()).Order(StringComparer.Ordinal));

        // "(other)": ceil-1 once (c and d: first use day 2, week 0, 2 uses), ceil-2 once (c ×2, week 1), the hostile
        // client once (500 uses, week 2).
        var other = await fixture.Client.GetGrain<IFeatureGrain>(DimensionRegistry.Other).GetAsync();
        Assert.Equal((3L, 504L), (other.Adopters!.Value, other.Uses!.Value));
        Assert.Equal([(1L, 2L), (1L, 2L), (1L, 500L)], other.Weeks.Select(w => (w.Adopters!.Value, w.Uses!.Value)));
        var a = await fixture.Client.GetGrain<IFeatureGrain>("a").GetAsync();
        Assert.Equal((2L, 2L), (a.Adopters!.Value, a.Uses!.Value));
    }
}
