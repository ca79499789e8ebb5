using System.Text.Json;
using SampleMind.Analytics.Revenue;
using SampleMind.Testing;

namespace SampleMind.UnitTests.Revenue;

public sealed class StripeSubscriptionsTests
{
    private static StripeSubscriptionFacts Read(SubscriptionSpec spec, string type = "customer.subscription.updated")
    {
        using var document = JsonDocument.Parse(StripeEvents.Subscription("evt_1", type, 1_780_000_000, spec));
        return StripeSubscriptions.Read(document.RootElement.GetProperty("data").GetProperty("object"), type);
    }

    private static SubscriptionSpec Spec(long unit, string status = "active") => new("sub_1", "cus_1", status, unit);

    [Theory]
    [InlineData(2900, 1, "month", 1, 29.00)]
    [InlineData(2900, 3, "month", 1, 87.00)]          // unit amount × quantity
    [InlineData(34990, 1, "year", 1, 29.16)]          // 349.90 / 12 = 29.1583…
    [InlineData(1806, 1, "year", 1, 1.51)]            // 18.06 / 12 = 1.505: halves round away from zero (as SQL's round)
    [InlineData(1000, 1, "week", 1, 43.33)]           // 10 × 52 / 12 = 43.333…
    [InlineData(1000, 2, "week", 2, 43.33)]           // every two weeks, two seats
    [InlineData(6000, 1, "month", 3, 20.00)]          // quarterly
    [InlineData(100, 1, "day", 1, 30.42)]             // 1 × 365 / 12
    public void Mrr_IsTheUnitAmountTimesQuantity_NormalisedToAMonth(long unit, long quantity, string interval, int count, double mrr)
        => Assert.Equal((decimal)mrr, Read(Spec(unit) with { Quantity = quantity, Interval = interval, IntervalCount = count }).Mrr);

    [Theory]
    [InlineData("active", 50.00)]
    [InlineData("past_due", 50.00)]                   // still owed: MRR kept until Stripe gives up
    [InlineData("trialing", 0.0)]
    [InlineData("paused", 0.0)]
    [InlineData("incomplete", 0.0)]
    [InlineData("unpaid", 0.0)]
    [InlineData("canceled", 0.0)]
    public void Mrr_CountsOnlyActiveAndPastDueSubscriptions(string status, double mrr)
        => Assert.Equal((decimal)mrr, Read(Spec(5000, status)).Mrr);

    [Fact]
    public void Coupons_PercentAndAmountOffApply_OnceCouponsDoNot_AndMrrNeverGoesNegative()
    {
        Assert.Equal(75m, Read(Spec(10000) with { PercentOff = 25m }).Mrr);
        Assert.Equal(45m, Read(Spec(5000) with { AmountOff = 500 }).Mrr);
        Assert.Equal(37.50m, Read(Spec(60000) with { Interval = "year", AmountOff = 15000 }).Mrr); // (600 − 150) / 12
        Assert.Equal(100m, Read(Spec(10000) with { AmountOff = 2000, CouponDuration = "once" }).Mrr);
        Assert.Equal(0m, Read(Spec(1000) with { AmountOff = 5000 }).Mrr);
        Assert.Equal("pct25", Read(Spec(10000) with { PercentOff = 25m }).Coupon);
    }

    [Fact]
    public void Deletion_IsCanceledWithNoMrr_AndTheOtherFieldsAreRead()
    {
        var deleted = Read(Spec(2900) with { Quantity = 2, CancelAtPeriodEnd = true }, "customer.subscription.deleted");
        Assert.Equal(("canceled", 0m, 2L, "month", "pro_month", "price_2900_month", "USD"),
            (deleted.Status, deleted.Mrr, deleted.Quantity, deleted.Interval, deleted.Plan, deleted.PriceId, deleted.Currency));
        Assert.True(deleted.CancelAtPeriodEnd);
    }

    [Fact]
    public void ZeroDecimalCurrencies_AreNotDividedBy100()
        => Assert.Equal(3000m, Read(Spec(3000) with { Currency = "jpy" }).Mrr);

    [Fact]
    public void LegacyPlanAndQuantity_AreReadWhenThereAreNoItems()
    {
        const string json = """
            {"id":"sub_old","object":"subscription","customer":"cus_1","status":"active","quantity":4,
             "plan":{"id":"plan_basic","object":"plan","amount":1500,"currency":"usd","interval":"month","interval_count":1,"nickname":"basic"}}
            """;
        using var document = JsonDocument.Parse(json);
        var facts = StripeSubscriptions.Read(document.RootElement, "customer.subscription.created");
        Assert.Equal((60m, 4L, "basic"), (facts.Mrr, facts.Quantity, facts.Plan));
    }
}
