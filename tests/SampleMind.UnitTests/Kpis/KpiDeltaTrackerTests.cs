using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Kpis;

public sealed class KpiDeltaTrackerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Deltas_InAnyBatchOrder_AddUpToTheUsersFinalShares(int seed)
    {
        var json = EventBuilder.RealisticHistory("k1", seed, Now);
        var shuffled = json.ToArray();
        new Random(seed).Shuffle(shuffled);

        var model = new UserModel { UserId = "k1" };
        var days = new Dictionary<int, KpiDayFigures>();
        var weeks = new Dictionary<IsoWeek, int>();
        var random = new Random(seed * 31);
        for (var offset = 0; offset < shuffled.Length;)
        {
            var size = random.Next(1, 30);
            var facts = shuffled.Skip(offset).Take(size).Select(EventFacts.Parse).ToArray();
            offset += size;
            var tracker = KpiDeltaTracker.Begin(model, facts);
            foreach (var f in facts)
            {
                model.Apply(f);
            }
            var deltas = tracker.Complete(model);
            foreach (var (day, delta) in deltas.Days)
            {
                (days.TryGetValue(day, out var total) ? total : days[day] = new KpiDayFigures()).Add(delta);
            }
            foreach (var (week, delta) in deltas.WeeklyWap)
            {
                weeks[week] = weeks.GetValueOrDefault(week) + delta;
            }
        }

        var first = UserModel.DayOf(Now.AddDays(-75));
        var last = UserModel.DayOf(Now.AddDays(7));
        for (var day = first; day <= last; day++)
        {
            var expected = KpiContributions.ForDay(model, day);
            var reported = days.GetValueOrDefault(day) ?? new KpiDayFigures();
            Assert.Equal(Describe(expected), Describe(reported));
            var week = IsoWeek.Of(day);
            Assert.Equal(KpiContributions.WapForWeek(model, week), weeks.GetValueOrDefault(week));
        }
        Assert.True(days.Values.Sum(d => d.Dau) > 30, "the history has more than 30 active days");
        Assert.Equal(69.98m, days.Values.Sum(d => d.Revenue)); // two payments of 34.99 in the history
    }

    /// <summary>
    /// The retained horizon: a signup older than the person's day buckets (an identify's <c>created_at</c> 600 days back)
    /// is still reported on its day — <c>new_signups</c> needs no bucket, so live equals SQL there — while the day's other
    /// figures, whose buckets are gone, are not; a still earlier <c>created_at</c> moves the signup from one old day to the other.
    /// </summary>
    [Fact]
    public void Signup_OlderThanTheRetainedDays_IsReportedOnItsDay_AndMoves()
    {
        var events = new EventBuilder("k2");
        var model = new UserModel { UserId = "k2" };
        KpiDeltas Apply(params string[] json)
        {
            var facts = json.Select(EventFacts.Parse).ToArray();
            var tracker = KpiDeltaTracker.Begin(model, facts);
            foreach (var f in facts)
            {
                model.Apply(f);
            }
            return tracker.Complete(model);
        }
        string Report(KpiDeltas d) => string.Join(" ", d.Days.OrderBy(x => x.Key).Select(x => $"{DateOnly.FromDayNumber(x.Key):yyyy-MM-dd}: {Describe(x.Value)}"));

        Apply(events.Track("analysis_completed", Now), events.Track("login", Now.AddDays(-3)));
        var old = Now.AddDays(-600);
        var moved = Apply(events.Identify(Now.AddHours(1), new { plan = "free", created_at = old.ToString("O") }));
        Assert.Equal($"{old:yyyy-MM-dd}: {Describe(new KpiDayFigures { NewSignups = 1 })}", Report(moved));

        var older = Now.AddDays(-640);
        var again = Apply(events.Identify(Now.AddHours(2), new { created_at = older.ToString("O") }));
        Assert.Equal($"{older:yyyy-MM-dd}: {Describe(new KpiDayFigures { NewSignups = 1 })} {old:yyyy-MM-dd}: {Describe(new KpiDayFigures { NewSignups = -1 })}", Report(again));
    }

    [Fact]
    public void Row_DerivesTheSeedRatios_FromTheFigures()
    {
        var f = new KpiDayFigures { Dau = 200, Wap = 50, NewSignups = 8, Sessions = 300, SessionSeconds = 450_000, Revenue = 349.90m, Payments = 10, PayingCustomers = 9, Analyses = 1200, ProcessingTimeSum = 1_234_567m, ProcessingTimeCount = 1199, AccuracySum = 1001.5m, AccuracyCount = 1150 };
        f.FeatureUsers["stems"] = 3;
        f.FeatureUsers["loops"] = 1;

        var row = KpiDayRowValues.From(new DateOnly(2026, 6, 30), f);

        Assert.Equal(1500m, row.AvgSessionLength);
        Assert.Equal(34.99m, row.AverageTransaction);
        Assert.Equal(38.877778m, row.Arpu);                 // 349.90 / 9
        Assert.Equal(1029.663887m, row.AvgProcessingTime);  // 1,234,567 / 1199
        Assert.Equal(0.870870m, row.AvgAccuracy);           // 1001.5 / 1150
        Assert.Equal(2, row.FeaturesAdopted);
        Assert.Equal(0.045m, row.ConversionRate);           // 9 / 200
        Assert.Equal(0.25m, row.WapRatio);
        Assert.Equal(43.7375m, row.RevenuePerSignup);       // the seed's cac_proxy: 349.90 / 8
    }

    private static string Describe(KpiDayFigures f)
        => $"dau={f.Dau} wap={f.Wap} signups={f.NewSignups} sessions={f.Sessions}/{f.SessionSeconds} revenue={f.Revenue}/{f.Payments}/{f.PayingCustomers} "
           + $"analyses={f.Analyses} pt={f.ProcessingTimeSum}/{f.ProcessingTimeCount} acc={f.AccuracySum}/{f.AccuracyCount} features={string.Join(',', f.FeatureUsers.Select(p => $"{p.Key}:{p.Value}"))}";
}
