using SampleMind.Analytics.Privacy;

namespace SampleMind.UnitTests.Privacy;

/// <summary>The retention classes' cut-offs: the analytics horizon cut back to a Monday, financial events kept longer.</summary>
public sealed class RetentionPolicyTests
{
    [Theory]
    [InlineData("2026-12-07T23:00:00Z", "2024-12-02")] // today - 730 = 2024-12-07, a Saturday → its Monday
    [InlineData("2026-12-02T00:00:00Z", "2024-12-02")] // today - 730 = 2024-12-02, a Monday itself
    [InlineData("2026-12-01T12:00:00Z", "2024-11-25")] // today - 730 = 2024-12-01, a Sunday → the Monday before
    public void AnalyticsCutoff_IsTheHorizonCutBackToAMonday(string now, string expected)
    {
        var cutoffs = RetentionPolicy.CutoffsAt(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), 730, 2_557, 90);
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), cutoffs.AnalyticsBefore);
        Assert.Equal(DayOfWeek.Monday, cutoffs.AnalyticsBefore.DayOfWeek);
        Assert.Equal(cutoffs.AnalyticsBefore.AddDays(7), cutoffs.ReconcileFrom);
    }

    [Fact]
    public void Cutoffs_FinancialAndInactive_AreWholeDaysAndAnInstant()
    {
        var now = new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero);
        var cutoffs = RetentionPolicy.CutoffsAt(now, 730, 2_557, 90);
        Assert.Equal(new DateOnly(2019, 12, 7), cutoffs.FinancialBefore); // 7 years back: 2,557 days with two leap days
        Assert.Equal(now.AddDays(-90), cutoffs.InactiveBefore);
    }

    [Fact]
    public void Deletes_RawEventsBeforeTheAnalyticsCutoff_AndFinancialOnesOnlyBeforeTheirs()
    {
        var cutoffs = new RetentionCutoffs(new DateOnly(2024, 12, 2), new DateOnly(2019, 12, 6), DateTimeOffset.MinValue);
        var lastRawSecond = new DateTimeOffset(2024, 12, 1, 23, 59, 59, TimeSpan.Zero);
        Assert.True(cutoffs.Deletes("track", "login", lastRawSecond));
        Assert.True(cutoffs.Deletes("identify", null, lastRawSecond));
        Assert.False(cutoffs.Deletes("track", "login", lastRawSecond.AddSeconds(1)));
        Assert.False(cutoffs.Deletes("track", "payment_succeeded", lastRawSecond));
        Assert.False(cutoffs.Deletes("track", "subscription_renewed", new DateTimeOffset(2019, 12, 6, 0, 0, 0, TimeSpan.Zero)));
        Assert.True(cutoffs.Deletes("track", "subscription_renewed", new DateTimeOffset(2019, 12, 5, 23, 59, 59, TimeSpan.Zero)));
        Assert.True(cutoffs.Deletes("page", "payment_succeeded", lastRawSecond)); // a page named like a payment is not a financial record
    }

    [Fact]
    public void FinancialEvents_AreThePaymentAndSubscriptionEvents()
        => Assert.Equal(
            "'payment_added', 'payment_failed', 'payment_refunded', 'payment_succeeded', 'subscription_canceled', 'subscription_renewed', 'subscription_started'",
            RetentionPolicy.FinancialEventsSql);
}
