using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Churn;

/// <summary>The training set's cut-offs, eligibility and labels on users whose outcome is known by construction.</summary>
public sealed class ChurnTrainingSetTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly int s_day0 = UserModel.DayOf(s_start);

    private static ChurnTrainingPlan PlanAt(params int[] cutoffs) => new(s_day0, s_day0 + 120, cutoffs.Select(c => s_day0 + c).ToArray());

    /// <summary>A login and an analysis at noon on each of <paramref name="days"/>.</summary>
    private static List<EventFacts> Active(EventBuilder events, IEnumerable<int> days)
        => days.SelectMany(d => new[]
        {
            events.Track("login", s_start.AddDays(d).AddHours(12)),
            events.Track("analysis_completed", s_start.AddDays(d).AddHours(12).AddMinutes(5)),
        }).Select(EventBuilder.Facts).ToList();

    [Fact]
    public void Plan_StepsBackFromTheLastDayWithA30DayOutcome_AndKeeps14DaysOfHistory()
    {
        var plan = ChurnTrainingSet.Plan(new DateOnly(2026, 1, 1), new DateOnly(2026, 3, 31), stepDays: 7);

        // Last day 2026-03-31 − 30 = 2026-03-01; back by 7 down to 2026-01-15 (1 Jan + 14).
        Assert.Equal(
            ["2026-01-18", "2026-01-25", "2026-02-01", "2026-02-08", "2026-02-15", "2026-02-22", "2026-03-01"],
            plan.Cutoffs.Select(d => DateOnly.FromDayNumber(d).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Empty(ChurnTrainingSet.Plan(new DateOnly(2026, 1, 1), new DateOnly(2026, 2, 13)).Cutoffs);
    }

    [Fact]
    public void Plan_WithAFinerFitStep_AddsFitDatesOnlyBeforeTheStepBeforeCalibration()
    {
        var plan = ChurnTrainingSet.Plan(new DateOnly(2026, 1, 1), new DateOnly(2026, 5, 31), stepDays: 7, fitStepDays: 3);

        // The weekly grid: 2026-05-01 back to 2026-01-16 (16 dates). Tests start on 2026-04-24; the calibration date
        // is the latest whose window closes by then, 2026-03-20. Every third day from 2026-03-13 (a week before it)
        // back to 2026-01-15 joins (17 new dates): none in (03-13, 03-20), the grid's dates unchanged after it.
        Assert.Equal(
            [
                "2026-01-15", "2026-01-16", "2026-01-18", "2026-01-21", "2026-01-23", "2026-01-24", "2026-01-27", "2026-01-30",
                "2026-02-02", "2026-02-05", "2026-02-06", "2026-02-08", "2026-02-11", "2026-02-13", "2026-02-14", "2026-02-17",
                "2026-02-20", "2026-02-23", "2026-02-26", "2026-02-27", "2026-03-01", "2026-03-04", "2026-03-06", "2026-03-07",
                "2026-03-10", "2026-03-13", "2026-03-20", "2026-03-27", "2026-04-03", "2026-04-10", "2026-04-17", "2026-04-24",
                "2026-05-01",
            ],
            plan.Cutoffs.Select(d => DateOnly.FromDayNumber(d).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(ChurnTrainingSet.Plan(new DateOnly(2026, 1, 1), new DateOnly(2026, 5, 31)).Cutoffs,
            ChurnTrainingSet.Plan(new DateOnly(2026, 1, 1), new DateOnly(2026, 5, 31), fitStepDays: 7).Cutoffs);
    }

    [Fact]
    public void FreeUser_ChurnsWhenNoEventFollowsWithin30Days_AndIsNoExampleOnce30DaysSilent()
    {
        var events = Active(new EventBuilder("free-1"), Enumerable.Range(0, 21));   // days 0 … 20, then silence

        var examples = ChurnTrainingSet.ForUser("free-1", events, PlanAt(10, 20, 50, 51));

        // Day 10: active again on day 11 → retained. Day 20: nothing after → churned. Days 50 and 51: silent for 30
        // days already (churned before), so no example.
        Assert.Equal([(s_day0 + 10, false), (s_day0 + 20, true)], examples.Select(e => (e.CutoffDay, e.Churned)));
        Assert.All(examples, e => Assert.Equal(ChurnModelFeatures.Count, e.Features.Length));
        var day20 = examples[1];
        // The last event (12:05) to the end of day 20: 11 h 55 min.
        Assert.Equal(0.4965, day20.Features[ChurnModelFeatures.Names.ToList().IndexOf("days_since_last_active")], 0.0001);
        Assert.Equal(21f, day20.Features[ChurnModelFeatures.Names.ToList().IndexOf("active_days_30")]);
    }

    [Fact]
    public void PaidUser_ChurnsOnlyOnACancellationWithin30Days_AndCarriesTheSegment30DaysLater()
    {
        var b = new EventBuilder("paid-1");
        var events = Active(b, Enumerable.Range(0, 60));
        events.Add(EventBuilder.Facts(b.Track("subscription_started", s_start.AddHours(1), new { plan = "pro", amount = 34.99 })));
        events.Add(EventBuilder.Facts(b.Track("payment_succeeded", s_start.AddHours(1), new { amount = 34.99 })));
        events.Add(EventBuilder.Facts(b.Track("subscription_canceled", s_start.AddDays(45).AddHours(20), new { plan = "pro" })));

        var examples = ChurnTrainingSet.ForUser("paid-1", events, PlanAt(10, 15, 16));

        // Cancelled on day 45 (evening): in (15, 45] and (16, 46], not in (10, 40].
        Assert.Equal([(s_day0 + 10, false), (s_day0 + 15, true), (s_day0 + 16, true)], examples.Select(e => (e.CutoffDay, e.Churned)));
        Assert.Equal(1f, examples[0].Features[ChurnModelFeatures.Names.ToList().IndexOf("paid_plan")]);
        // One analysis a day: 7 a week is a regular's pace, but the account is 10 days old: unclassified; 30 days
        // later the same.
        Assert.Equal((SegmentNames.Unclassified, SegmentNames.Unclassified), (examples[0].Segment, examples[0].SegmentIn30Days));
    }

    [Fact]
    public void Examples_DoNotDependOnTheOrderEventsArrive()
    {
        var events = Active(new EventBuilder("shuffled"), Enumerable.Range(0, 40).Where(d => d % 3 != 0));
        var plan = PlanAt(14, 21, 28);

        var ordered = ChurnTrainingSet.ForUser("shuffled", events, plan);
        var shuffled = ChurnTrainingSet.ForUser("shuffled", events.OrderBy(e => e.MessageId.GetHashCode(StringComparison.Ordinal)).Reverse(), plan);

        Assert.Equal(ordered.Count, shuffled.Count);
        Assert.Equal(3, ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
        {
            Assert.Equal(ordered[i].Features, shuffled[i].Features);
            Assert.Equal((ordered[i].Churned, ordered[i].SegmentIn30Days), (shuffled[i].Churned, shuffled[i].SegmentIn30Days));
        }
    }
}
