using SampleMind.Analytics.Churn;

namespace SampleMind.UnitTests.Churn;

public sealed class ChurnTests
{
    [Fact]
    public void Features_FollowTheirDefinitions()
    {
        var f = ChurnFeatureCalculator.Compute(
            daysSinceLastLogin: 15, analysesLast30: 10, analysesPrior30: 30, supportTickets30: 2,
            paymentFailures30: 1, distinctFeatures: 5, sessionsLast30: 6);

        Assert.Equal(15, f.DaysSinceLastLogin);
        Assert.Equal(-0.5, f.UsageTrend30d);               // (10 − 30) / 40
        Assert.Equal(0.25, f.FeatureAdoptionRate);         // 5 / 20
        Assert.Equal(1.4, f.SessionFrequency);             // 6 sessions / (30/7) weeks
        // 40·min(1, 10/40) + 30·min(1, 1.4/5) + 20·0.25 + 10·(1 − 15/30) = 10 + 8.4 + 5 + 5
        Assert.Equal(28.4, f.EngagementScore);
        Assert.Equal((2, 1), (f.SupportTickets, f.PaymentFailures));
    }

    [Fact]
    public void UsageTrend_IsZero_WithoutAnyAnalyses()
        => Assert.Equal(0, ChurnFeatureCalculator.Compute(0, 0, 0, 0, 0, 0, 0).UsageTrend30d);

    [Theory]
    [InlineData(0.71, "HIGH")]
    [InlineData(0.70, "MEDIUM")]
    [InlineData(0.41, "MEDIUM")]
    [InlineData(0.40, "LOW")]
    [InlineData(0.0, "LOW")]
    public void RiskLevel_FollowsTheSeedThresholds(double score, string level) => Assert.Equal(level, RiskLevels.For(score));

    [Fact]
    public void DisengagedPayer_WithFailedPayments_IsHighRisk_AndExplainedInWords()
    {
        var f = ChurnFeatureCalculator.Compute(
            daysSinceLastLogin: 19, analysesLast30: 2, analysesPrior30: 40, supportTickets30: 1,
            paymentFailures30: 2, distinctFeatures: 2, sessionsLast30: 1);

        var a = RuleBasedChurnScorer.Assess(f, realizedRevenue: 300m, monthlyRevenue: 34.99m);

        Assert.Equal("HIGH", a.Level);
        Assert.True(a.Score > 0.7, $"score {a.Score}");
        // Contributions: payment failures 0.9·2 = 1.8; login 0.09·(19 − 2) = 1.53; trend −1.4·(−38/42) = 1.267.
        Assert.Equal(["payment_failures", "days_since_last_login", "usage_trend_30d"], a.Factors.Select(x => x.Feature));
        Assert.Equal([1.8, 1.53, 1.2667], a.Factors.Select(x => x.Contribution));
        Assert.Equal("2 payment failures this month", a.Factors[0].Description);
        Assert.Equal("no login for 19 days", a.Factors[1].Description);
        Assert.Equal("usage down 90% on the previous 30 days", a.Factors[2].Description);
        Assert.Equal(
            [RetentionActions.CardUpdateReminder, RetentionActions.TutorialEmail, RetentionActions.SupportCallback, RetentionActions.Discount20],
            a.Actions);
        Assert.Equal(Lifetime.Value(300m, 34.99m, a.Score), a.Ltv);
        Assert.Equal(Math.Round(a.Ltv * (decimal)a.Score, 2), a.ExpectedLtvImpact);
        Assert.Equal("rules@1", a.ModelVersion);
    }

    [Fact]
    public void EngagedUser_IsLowRisk_WithNoActions()
    {
        var f = ChurnFeatureCalculator.Compute(
            daysSinceLastLogin: 0.5, analysesLast30: 60, analysesPrior30: 50, supportTickets30: 0,
            paymentFailures30: 0, distinctFeatures: 12, sessionsLast30: 25);

        var a = RuleBasedChurnScorer.Assess(f, realizedRevenue: 100m, monthlyRevenue: 9.99m);

        Assert.Equal("LOW", a.Level);
        Assert.Empty(a.Actions);
    }

    [Fact]
    public void ScoreOnlyRisk_EqualsTheFullAssessment_ForEveryFeatureMix()
    {
        // The user index's cheaper path must give the same score, level and LTV as the assessment the API shows.
        var random = new Random(5);
        for (var i = 0; i < 2_000; i++)
        {
            var f = ChurnFeatureCalculator.Compute(
                daysSinceLastLogin: random.NextDouble() * 90, analysesLast30: random.Next(0, 80), analysesPrior30: random.Next(0, 80),
                supportTickets30: random.Next(0, 8), paymentFailures30: random.Next(0, 8), distinctFeatures: random.Next(0, 15),
                sessionsLast30: random.Next(0, 40));
            var (realized, monthly) = (random.Next(0, 2_000) + 0.5m, random.Next(0, 3) * 19.99m);

            var a = RuleBasedChurnScorer.Assess(f, realized, monthly);

            Assert.Equal(new ChurnRisk(a.Score, a.Level, a.Ltv, a.ModelVersion), RuleBasedChurnScorer.Risk(f, realized, monthly));
        }
    }

    [Theory]
    [InlineData(100, 10, 0.1, 190)]      // (1 − 0.1) / 0.1 = 9 months → 100 + 90
    [InlineData(100, 10, 0.5, 110)]      // 1 month
    [InlineData(100, 10, 0.001, 460)]    // floored at 2%: 49 months, capped at 36
    [InlineData(50, 0, 0.3, 50)]         // no recurring revenue: LTV is what was paid
    public void Ltv_IsRealizedPlusExpectedFutureRevenue(decimal realized, decimal monthly, double p, decimal expected)
        => Assert.Equal(expected, Lifetime.Value(realized, monthly, p));
}
