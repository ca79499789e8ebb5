using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Analytics.Users;
using SampleMind.Testing;

namespace SampleMind.UnitTests.FeatureAnalytics;

/// <summary>
/// One person's feature deltas: the sum of the deltas of any delivery order is the share of the final state, and a late
/// earlier use moves the whole share to the earlier adoption week.
/// </summary>
public sealed class FeatureMathTests
{
    private static readonly DateTimeOffset Monday = new(2025, 6, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void LateEarlierUse_MovesTheAdopterToTheEarlierWeek_AndOneMoreUseIsOneCell()
    {
        var events = new EventBuilder("fm-1");
        var model = new UserModel { UserId = "fm-1" };
        Apply(model, events.Track("feature_used", Monday.AddDays(9), new { feature = "stems" }));
        Apply(model, events.Track("payment_succeeded", Monday.AddDays(10), new { amount = 12 }));

        var before = model.FeatureActivity();
        Apply(model, events.Track("feature_used", Monday.AddDays(9).AddHours(1), new { feature = "stems" }));
        var (more, weeks) = FeatureMath.Delta(before, model.FeatureActivity());
        Assert.Empty(weeks); // an already active week
        var cell = Assert.Single(Assert.Single(more).Value.Weeks);
        Assert.Equal((Week(9), 1L, 0L, 0L), (cell.Key, cell.Value.Uses, cell.Value.Adopters, cell.Value.ActiveAdopted));

        before = model.FeatureActivity();
        Apply(model, events.Track("feature_used", Monday.AddDays(1), new { feature = "stems" })); // late, a week earlier
        var (moved, movedWeeks) = FeatureMath.Delta(before, model.FeatureActivity());
        var stems = moved["stems"].Weeks;
        Assert.Equal((1L, 3L, 12m, 1L), (stems[Week(1)].Adopters, stems[Week(1)].Uses, stems[Week(1)].AdopterRevenue, stems[Week(1)].ActiveAdopted));
        Assert.Equal((-1L, -2L, -12m, 0L), (stems[Week(9)].Adopters, stems[Week(9)].Uses, stems[Week(9)].AdopterRevenue, stems[Week(9)].ActiveAdopted));
        Assert.Equal(1L, Assert.Single(movedWeeks).Value.Active); // the earlier week is now active
    }

    [Fact]
    public void Deltas_OfAnyOrder_AddUpToTheFinalShare()
    {
        var events = new EventBuilder("fm-2");
        string[] all =
        [
            events.Track("feature_used", Monday.AddDays(2), new { feature = "mixer" }),
            events.Track("login", Monday.AddDays(30)),
            events.Track("feature_used", Monday.AddDays(15), new { feature = "stems" }),
            events.Track("payment_succeeded", Monday.AddDays(20), new { amount = 7.5 }),
            events.Track("feature_used", Monday.AddDays(1), new { feature = "mixer" }),
            events.Track("page", Monday.AddDays(44)),
        ];
        var random = new Random(7);
        for (var round = 0; round < 20; round++)
        {
            var order = all.OrderBy(_ => random.Next()).ToArray();
            var model = new UserModel { UserId = "fm-2" };
            var features = new Dictionary<string, FeatureFigures>(StringComparer.Ordinal);
            var weeks = new Dictionary<int, ActivityWeekFigures>();
            foreach (var json in order)
            {
                var before = model.FeatureActivity();
                Apply(model, json);
                var (f, w) = FeatureMath.Delta(before, model.FeatureActivity());
                foreach (var (k, d) in f)
                {
                    (features.TryGetValue(k, out var into) ? into : features[k] = new FeatureFigures()).Add(d);
                }
                foreach (var (k, d) in w)
                {
                    (weeks.TryGetValue(k, out var into) ? into : weeks[k] = new ActivityWeekFigures()).Add(d);
                }
            }
            var final = model.FeatureActivity();
            var mixer = features["mixer"].Weeks;
            Assert.Equal((1L, 2L, 1L, 7.5m), (mixer[Week(0)].Adopters, mixer[Week(0)].Uses, mixer[Week(0)].RetainedAdopters, mixer[Week(0)].AdopterRevenue));
            Assert.Equal(Describe(FeatureMath.ShareOf(final, 0)), Describe(features["mixer"]));
            Assert.Equal(Describe(FeatureMath.ShareOf(final, 1)), Describe(features["stems"]));
            Assert.Equal(
                string.Join(";", FeatureMath.WeeksShareOf(final).OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value.Active}/{p.Value.Retained}")),
                string.Join(";", weeks.Where(p => !p.Value.IsZero).OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value.Active}/{p.Value.Retained}")));
        }
    }

    private static int Week(int daysAfterMonday) => UserModel.WeekOf(UserModel.DayOf(Monday.AddDays(daysAfterMonday)));

    private static void Apply(UserModel model, string json) => model.Apply(EventBuilder.Facts(json));

    private static string Describe(FeatureFigures f)
        => string.Join(";", f.Weeks.Where(p => !p.Value.IsZero).Select(p =>
            $"{p.Key}:{p.Value.Adopters},{p.Value.Uses},{p.Value.RetainedAdopters},{p.Value.AdopterRevenue:0.##},{p.Value.ActiveAdopted},{p.Value.RetainedActiveAdopted}"));
}
