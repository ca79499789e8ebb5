using SampleMind.Analytics.Alerts;
using SampleMind.Analytics.Users;
using SampleMind.Testing;

namespace SampleMind.UnitTests.Alerts;

public sealed class AlertEvaluatorTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, decimal?> s_noCampaigns = [];
    private static readonly Dictionary<DateOnly, FeatureDay> s_noDays = [];

    private static List<AlertCondition> Evaluate(AlertSignals signals, AlertRuleSet? rules = null,
        Dictionary<string, decimal?>? cac = null, Dictionary<DateOnly, FeatureDay>? days = null)
        => AlertEvaluator.Evaluate(rules ?? new AlertRuleSet(), signals, cac ?? s_noCampaigns, days ?? s_noDays, s_now);

    private static AlertSignals Signals(params string[] events) => AlertSignals.Of(events.Select(EventFacts.Parse));

    private static string Analysis(EventBuilder b, DateTimeOffset at, bool error)
        => b.Track("analysis_completed", at, new { model = "m", model_version = "1", error });

    [Theory]
    [InlineData(1, false)] // 1 of 20 = 0.05 is not above 0.05
    [InlineData(2, true)]  // 2 of 20 = 0.1
    public void ErrorRate_FiresAboveTheThreshold(int errors, bool firing)
    {
        var b = new EventBuilder("u");
        var signals = Signals([.. Enumerable.Range(0, 20).Select(i => Analysis(b, s_now.AddSeconds(-10 - i), i < errors))]);

        var condition = Assert.Single(Evaluate(signals), c => c.Rule == AlertRuleNames.ErrorRate);
        Assert.Equal(("m@1", firing, errors / 20m, "critical"), (condition.Subject, condition.Firing, condition.Value, condition.Severity));
    }

    [Fact]
    public void ErrorRate_IsNotJudged_BelowMinCount_NorOnRequestsOutsideTheWindow()
    {
        var b = new EventBuilder("u");
        // 19 failed requests in the window, and 10 more exactly 5 minutes ago (outside: the window is (now − 5 min, now]).
        var signals = Signals([
            .. Enumerable.Range(0, 19).Select(i => Analysis(b, s_now.AddSeconds(-i), true)),
            .. Enumerable.Range(0, 10).Select(_ => Analysis(b, s_now.AddMinutes(-5), true)),
        ]);
        Assert.DoesNotContain(Evaluate(signals), c => c.Rule == AlertRuleNames.ErrorRate);
    }

    [Theory]
    [InlineData(10, false)]
    [InlineData(11, true)]
    public void PaymentFailures_FireAboveTenInTheWindow(int failures, bool firing)
    {
        var b = new EventBuilder("u");
        var signals = Signals([.. Enumerable.Range(0, failures).Select(i => b.Track("payment_failed", s_now.AddSeconds(-299 + i)))]);
        var condition = Assert.Single(Evaluate(signals), c => c.Rule == AlertRuleNames.PaymentFailures);
        Assert.Equal((firing, (decimal)failures), (condition.Firing, condition.Value));
    }

    [Fact]
    public void DailyChurn_ComparesTodayWithOneAndAHalfTimesTheTrailingAverage()
    {
        var b = new EventBuilder("u");
        var start = new DateTimeOffset(s_now.UtcDateTime.Date, TimeSpan.Zero);
        // Three a day over the 7 days before today: the limit is 1.5 × 3 = 4.5; five today fire.
        var past = Enumerable.Range(1, 7).SelectMany(d => Enumerable.Range(0, 3).Select(_ => b.Track("subscription_canceled", start.AddDays(-d).AddHours(3))));
        var todays = Enumerable.Range(0, 5).Select(i => b.Track("subscription_canceled", start.AddHours(1).AddMinutes(i)));
        // An 8th day back is outside the 7-day window and does not count.
        var old = Enumerable.Range(0, 50).Select(_ => b.Track("subscription_canceled", start.AddDays(-8)));

        var condition = Assert.Single(Evaluate(Signals([.. past, .. todays, .. old])), c => c.Rule == AlertRuleNames.DailyChurn);
        Assert.Equal((true, 5m, 4.5m), (condition.Firing, condition.Value, condition.Threshold));

        var fewer = Assert.Single(Evaluate(Signals([.. past, .. todays.Take(4)])), c => c.Rule == AlertRuleNames.DailyChurn);
        Assert.False(fewer.Firing); // 4 ≤ 4.5, and below MinCount 5
    }

    [Fact]
    public void Cac_FiresAboveSixty_PerCampaign_AndSkipsCampaignsWithoutConversions()
    {
        var conditions = Evaluate(new AlertSignals(), cac: new() { ["a"] = 60m, ["b"] = 60.01m, ["c"] = null });
        Assert.Equal([("a", false), ("b", true)], conditions.Where(c => c.Rule == AlertRuleNames.Cac).Select(c => (c.Subject, c.Firing)));
    }

    [Fact]
    public void FeatureAdoption_IsJudgedOnTheDayAWeekAfterLaunch_BelowTenPercent()
    {
        var rules = new AlertRuleSet { FeatureLaunches = { ["early"] = new DateOnly(2026, 6, 20), ["fine"] = new DateOnly(2026, 6, 21), ["future"] = new DateOnly(2026, 6, 25) } };
        var days = new Dictionary<DateOnly, FeatureDay>
        {
            [new DateOnly(2026, 6, 27)] = new(40, new Dictionary<string, int> { ["early"] = 3 }),
            [new DateOnly(2026, 6, 28)] = new(40, new Dictionary<string, int> { ["fine"] = 4 }),
        };
        var conditions = Evaluate(new AlertSignals(), rules, days: days).Where(c => c.Rule == AlertRuleNames.FeatureAdoption).ToList();
        // "future" launched 2026-06-25 is judged on 2026-07-02, after now.
        Assert.Equal([("early", true, 0.075m), ("fine", false, 0.1m)], conditions.Select(c => (c.Subject, c.Firing, c.Value)));
    }

    [Fact]
    public void DisabledRules_AreNotJudged_AndBadSettingsAreReported()
    {
        var rules = new AlertRuleSet();
        rules.PaymentFailures.Enabled = false;
        Assert.DoesNotContain(Evaluate(new AlertSignals(), rules), c => c.Rule == AlertRuleNames.PaymentFailures);

        rules.Cac.Severity = "loud";
        rules.DailyChurn.Window = TimeSpan.FromHours(36);
        Assert.Equal(["Alerts:cac: severity 'loud' is not critical, warning or info", "Alerts:daily_churn: the window is a whole number of days between 1 and 90"], rules.Problems());
    }

    [Fact]
    public void Signals_PruneBucketsOutsideTheWindows()
    {
        var b = new EventBuilder("u");
        var signals = Signals(b.Track("payment_failed", s_now.AddMinutes(-10)), b.Track("payment_failed", s_now), b.Track("subscription_canceled", s_now.AddDays(-9)));
        signals.Prune(s_now.AddMinutes(-5).ToUnixTimeSeconds(), AlertSignals.DayNumber(s_now) - 8);
        Assert.Equal(1, signals.Sum(AlertSignals.Key(AlertSignals.PaymentFailures, AlertSignals.All), long.MinValue, long.MaxValue));
        Assert.Equal(0, signals.Sum(AlertSignals.Key(AlertSignals.Cancellations, AlertSignals.All), long.MinValue, long.MaxValue));
    }
}
