using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Cohorts;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Simulation;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Users;

public sealed class UserSnapshotTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Snapshot_RestoresEveryFigure_OfASimulatedPopulation_AndTheUserGoesOnAlike()
    {
        var models = SimulatedPopulation(300, 60, seed: 11, s_now);
        var checkedDays = 0;
        foreach (var model in models.Values)
        {
            model.UpdateSegmentPath();
            model.UpdateTimeline(s_now);
            var restored = UserSnapshots.Read(UserSnapshots.Write(model))!;
            Assert.NotNull(restored);
            restored.UserId = model.UserId;
            Assert.Equal(UserModelTests.Canonical(model), UserModelTests.Canonical(restored));
            checkedDays += AssertSameFigures(model, restored);

            // One more day of use applied to both: the restored model keeps up exactly.
            var next = new EventBuilder(model.UserId);
            foreach (var json in new[]
            {
                next.Track("analysis_completed", s_now.AddHours(3), new { processing_time_ms = 812.5, accuracy = 0.917 }),
                next.Track("feature_used", s_now.AddHours(4), new { feature = "stem_separation" }),
                next.Track("payment_succeeded", s_now.AddHours(5), new { amount = 34.99 }),
            })
            {
                model.Apply(EventFacts.Parse(json));
                restored.Apply(EventFacts.Parse(json));
            }
            model.UpdateSegmentPath();
            restored.UpdateSegmentPath();
            Assert.Equal(UserModelTests.Canonical(model), UserModelTests.Canonical(restored));
            AssertSameFigures(model, restored);
        }
        Assert.True(checkedDays > 300 * 20, $"only {checkedDays} user-days were compared");
    }

    [Theory]
    [InlineData("""{"UserId":"u1","EventsApplied":3,"Days":{"20000":{"Events":3,"LastAt":"2024-10-04T10:00:00+00:00"}},"Traits":{"plan":{"Value":"pro","At":"2024-10-04T10:00:00+00:00","MessageId":"m1"}}}""")]
    [InlineData("""{"UserId":"u1","EventsApplied":3,"Traits":{}}""")]
    [InlineData("""{"Format":4,"EventsApplied":3}""")]
    [InlineData("""{"Format":4,"EventsApplied":3,"Activation":[1,2],"Monetization":[]}""")]
    [InlineData("""{"Format":4,"EventsApplied":3,"Traits":null}""")]
    [InlineData("""{"Format":4,"EventsApplied":3,"Features":["a"],"FeatureFirstUse":[]}""")]
    [InlineData("""{"Format":4,"Days":[{"D":"x"}]}""")]
    [InlineData("[1,2,3]")]
    [InlineData("")]
    public void Snapshot_OfAnotherFormat_OrDamaged_IsNotRead(string json)
        => Assert.Null(UserSnapshots.Read(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Snapshot_IsTheSameBytes_ForShuffledDelivery()
    {
        var inOrder = SimulatedPopulation(40, 30, seed: 4, s_now);
        var shuffled = SimulatedPopulation(40, 30, seed: 4, s_now, new Random(9));
        foreach (var (user, model) in inOrder)
        {
            Assert.Equal(Encoding.UTF8.GetString(UserSnapshots.Write(model)), Encoding.UTF8.GetString(UserSnapshots.Write(shuffled[user])));
        }
    }

    /// <summary>Every figure the product reads from a model, on every day of its buckets and around them.</summary>
    private static int AssertSameFigures(UserModel expected, UserModel actual)
    {
        var days = 0;
        var first = UserModel.DayOf(expected.FirstSeenAt!.Value);
        for (var day = first - 1; day <= UserModel.DayOf(s_now) + 2; day++)
        {
            var at = UserModel.EndOfDay(day);
            Assert.Equal(expected.SegmentInputsAt(at), actual.SegmentInputsAt(at));
            Assert.Equal(expected.ChurnFeaturesAt(at), actual.ChurnFeaturesAt(at));
            Assert.Equal(Json(KpiContributions.ForDay(expected, day)), Json(KpiContributions.ForDay(actual, day)));
            Assert.Equal(KpiContributions.WapForWeek(expected, IsoWeek.Of(day)), KpiContributions.WapForWeek(actual, IsoWeek.Of(day)));
            Assert.Equal(expected.PlanAt(at), actual.PlanAt(at));
            days++;
        }
        Assert.Equal(FunnelFigures.Names.Select(f => FunnelPosition.Of(expected, f)), FunnelFigures.Names.Select(f => FunnelPosition.Of(actual, f)));
        Assert.Equal(Json(CohortMath.ShareOf(expected)?.Share), Json(CohortMath.ShareOf(actual)?.Share));
        Assert.Equal(expected.LifetimeRevenue, actual.LifetimeRevenue);
        Assert.Equal(expected.MonthlyRevenue, actual.MonthlyRevenue);
        return days;
    }

    internal static Dictionary<string, UserModel> SimulatedPopulation(int users, int days, int seed, DateTimeOffset now, Random? shuffle = null)
    {
        var events = new Dictionary<string, List<EventFacts>>(StringComparer.Ordinal);
        foreach (var e in new PopulationSimulator(new SimulationOptions { Users = users, Days = days, Seed = seed, Now = now }).Generate())
        {
            (events.TryGetValue(e.UserId, out var list) ? list : events[e.UserId] = []).Add(EventFacts.Parse(Encoding.UTF8.GetString(e.Json.Span)));
        }
        var models = new Dictionary<string, UserModel>(StringComparer.Ordinal);
        foreach (var (user, list) in events)
        {
            var ordered = list.ToArray();
            shuffle?.Shuffle(ordered);
            var model = models[user] = new UserModel { UserId = user };
            foreach (var e in ordered)
            {
                model.Apply(e);
            }
        }
        return models;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}
