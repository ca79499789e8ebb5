using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SampleMind.Analytics.Experiments;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Experiments;

public sealed class ExperimentAssignmentTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static ExperimentDefinition Pricing(string metric = "subscription_started", int days = 14) => new("pricing-q4",
        [new VariantDefinition("control", 1, 29.99m), new VariantDefinition("mid", 1, 34.99m), new VariantDefinition("high", 2, 39.99m)],
        new ExperimentMetric(metric, days), null);

    [Fact]
    public void Assignment_IsTheSha256PointOnTheCumulativeWeights_AndFollowsTheWeights()
    {
        var experiment = Pricing();
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 100_000; i++)
        {
            var user = $"user-{i}";
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"pricing-q4\n{user}"));
            var point = (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) / 9007199254740992.0;
            var expected = point < 0.25 ? "control" : point < 0.5 ? "mid" : "high";
            var variant = experiment.Assign(user).Name;
            Assert.Equal(expected, variant);
            counts[variant] = counts.GetValueOrDefault(variant) + 1;
        }
        Assert.InRange(counts["control"], 24_000, 26_000);
        Assert.InRange(counts["mid"], 24_000, 26_000);
        Assert.InRange(counts["high"], 49_000, 51_000);
    }

    [Fact]
    public void Definition_Problems_NameEachBadField()
    {
        var bad = new ExperimentDefinition("a/b", [new VariantDefinition("x", 0), new VariantDefinition("x", -1, 5m)],
            new ExperimentMetric("page_view", 0), "vips");
        var fields = bad.Problems().Select(p => p.Field).ToArray();
        Assert.Equal(["key", "variants[0].weight", "variants[1].weight", "variants", "variants", "metric.event", "metric.withinDays", "segment"], fields);
        Assert.Empty(Pricing().Problems());
    }

    private static UserModel Apply(params string[] json)
    {
        var model = new UserModel { UserId = "p1" };
        foreach (var e in json)
        {
            model.Apply(EventFacts.Parse(e));
        }
        return model;
    }

    [Fact]
    public void Share_CountsConversionChurnAndRevenueInsideTheWindowOfTheFirstExposure()
    {
        var events = new EventBuilder("p1");
        string Viewed(DateTimeOffset at, string variant) => events.Track("experiment_viewed", at, new { experiment_id = "pricing-q4", variation_id = variant });
        var all = new[]
        {
            events.Track("payment_succeeded", Now.AddDays(-1), new { amount = 5m }),     // before exposure: not counted
            Viewed(Now.AddDays(2), "high"),                                                  // a later exposure: the first one wins
            Viewed(Now, "mid"),
            events.Track("subscription_started", Now.AddDays(3), new { plan = "pro", amount = 34.99m }),
            events.Track("payment_succeeded", Now.AddDays(3), new { amount = 34.99m }),
            events.Track("payment_succeeded", Now.AddDays(15), new { amount = 34.99m }),   // after the 14-day window
            events.Track("subscription_canceled", Now.AddDays(10)),
        };
        var share = ExperimentFigures.ShareOf(Apply(all), Pricing())!.Value;
        Assert.Equal("mid", share.Variant);
        Assert.Equal((1L, 1L, 1L, 34.99m, 34.99m * 34.99m), (share.Share.Exposed, share.Share.Conversions, share.Share.Churned, share.Share.Revenue, share.Share.RevenueSquares));

        // Any arrival order gives the same share.
        var reversed = ExperimentFigures.ShareOf(Apply([.. all.Reverse()]), Pricing())!.Value;
        Assert.Equal(share.Variant, reversed.Variant);
        Assert.Equal(share.Share.Revenue, reversed.Share.Revenue);
        Assert.Equal(share.Share.Conversions, reversed.Share.Conversions);

        // A conversion that happened before the exposure is not one the experiment caused; an unknown variant is no exposure.
        var before = Apply(events.Track("subscription_started", Now.AddDays(-1), new { plan = "pro" }), Viewed(Now, "control"));
        Assert.Equal(0, ExperimentFigures.ShareOf(before, Pricing())!.Value.Share.Conversions);
        Assert.Null(ExperimentFigures.ShareOf(Apply(Viewed(Now, "nonexistent")), Pricing()));
        Assert.Null(ExperimentFigures.ShareOf(Apply(events.Track("login", Now)), Pricing()));
    }

    [Fact]
    public void Exposures_SurviveTheSnapshot()
    {
        var events = new EventBuilder("p1");
        var model = Apply(events.Track("experiment_viewed", Now, new { experiment_id = "b", variation_id = "v1" }),
            events.Track("Experiment Viewed", Now, new { experiment_id = "a", variation_id = "v2" }),
            events.Track("subscription_canceled", Now.AddDays(1)));
        var copy = UserSnapshots.Read(UserSnapshots.Write(model))!;
        Assert.Equal(model.Exposures.ToArray(), copy.Exposures.ToArray());
        Assert.Equal(["a", "b"], copy.Exposures.ToArray().Select(x => x.Experiment));
        Assert.Equal(model.CancellationTicks.ToArray(), copy.CancellationTicks.ToArray());
    }
}
