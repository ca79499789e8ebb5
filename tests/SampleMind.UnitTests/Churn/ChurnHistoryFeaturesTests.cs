using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Users;
using SampleMind.Testing;

namespace SampleMind.UnitTests.Churn;

/// <summary>
/// The churn model's billing, support and activity-shape features on hand-built histories whose values are counted by
/// hand, and their place in the model's vector (one definition for training and live scoring).
/// </summary>
public sealed class ChurnHistoryFeaturesTests
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly int s_day0 = UserModel.DayOf(s_start);

    private static DateTimeOffset Noon(int day) => s_start.AddDays(day).AddHours(12);

    private static UserModel Model(string userId, IEnumerable<string> events)
    {
        var model = new UserModel { UserId = userId };
        foreach (var e in events)
        {
            model.Apply(EventBuilder.Facts(e));
        }
        return model;
    }

    private static float Feature(float[] vector, string name) => vector[ChurnModelFeatures.Names.ToList().IndexOf(name)];

    [Fact]
    public void PaymentFailuresInRow_CountFailuresSinceTheLastPayment_AndTheRecencyFeaturesAreDaysAgo()
    {
        var b = new EventBuilder("payer");
        var model = Model("payer",
        [
            b.Track("subscription_started", Noon(0), new { plan = "pro", amount = 34.99 }),
            b.Track("payment_succeeded", Noon(0), new { amount = 34.99 }),
            b.Track("payment_failed", Noon(30), new { amount = 34.99 }),     // retried …
            b.Track("payment_succeeded", Noon(33), new { amount = 34.99 }),  // … and paid: the run ends
            b.Track("payment_failed", Noon(63), new { amount = 34.99 }),
            b.Track("support_ticket_opened", Noon(63).AddHours(1)),
            b.Track("payment_failed", Noon(66), new { amount = 34.99 }),
            b.Track("support_ticket_opened", Noon(50)),
            b.Track("payment_failed", Noon(80), new { amount = 34.99 }),     // after "now": not seen
        ]);
        var at = Noon(68);

        var s = ChurnSignalFeatures.Of(model, at);

        // Failures after the payment of day 33: days 63 and 66. Two days since the last, 35 since the payment, 4 days
        // 23 hours since the ticket of day 63; in the 14 days (54, 68]: that ticket, not the one of day 50.
        // Three failures so far (day 30's, retried and paid, counts; day 80's lies ahead).
        Assert.Equal((2, 2.0, 35.0, 4.9583, 1, 3),
            (s.PaymentFailuresInRow, s.DaysSincePaymentFailure, s.DaysSincePayment, Math.Round(s.DaysSinceSupportTicket, 4), s.SupportTickets14d,
                s.PaymentFailuresTotal));
        var vector = ChurnModelFeatures.Vector(model, model.ChurnFeaturesAt(at), at);
        Assert.Equal(2f, Feature(vector, "payment_failures_in_row"));
        Assert.Equal(2f, Feature(vector, "days_since_payment_failure"));
        Assert.Equal(35f, Feature(vector, "days_since_payment"));
        Assert.Equal(1f, Feature(vector, "support_tickets_14d"));
        Assert.Equal(3f, Feature(vector, "payment_failures_total"));
    }

    [Fact]
    public void PaymentFailuresInRow_StartAgainAfterACancellation_AndNoEventReadsAsAYear()
    {
        var b = new EventBuilder("lapsed");
        var model = Model("lapsed",
        [
            b.Track("login", Noon(0)),
            b.Track("payment_failed", Noon(1)),
            b.Track("payment_failed", Noon(4)),
            b.Track("payment_failed", Noon(7)),
            b.Track("subscription_canceled", Noon(7).AddMinutes(1), new { plan = "pro" }),
        ]);

        var s = ChurnSignalFeatures.Of(model, s_start.AddDays(10)); // 2.5 days after the third failure

        Assert.Equal(new ChurnSignalFeatures(0, 2.5, ChurnModelFeatures.NoEventDays, ChurnModelFeatures.NoEventDays, 0, 3), s);
        Assert.Equal(new ChurnSignalFeatures(0, ChurnModelFeatures.NoEventDays, ChurnModelFeatures.NoEventDays, ChurnModelFeatures.NoEventDays, 0, 0),
            ChurnSignalFeatures.Of(new UserModel { UserId = "nobody" }, s_start));
    }

    [Fact]
    public void ActivityShape_ComparesTheLastFortnightWithTheOneBefore_AndThePersonsOwnRate()
    {
        // Active on days 0–9 (10 days), silent 10–19 (a 10-day quiet spell that ended), active on 20, 22, 24, 26, 28,
        // then silent 29–34: today is day 34.
        var b = new EventBuilder("shape");
        int[] days = [.. Enumerable.Range(0, 10), 20, 22, 24, 26, 28];
        var model = Model("shape", days.Select(d => b.Track("analysis_completed", Noon(d))));

        var a = ChurnActivityFeatures.Of(model, s_day0 + 34);

        // Last 14 days = 21 … 34: 22, 24, 26, 28 → 4; the 14 before = 7 … 20: 7, 8, 9, 20 → 4. History: 15 active days
        // of 35 → 0.4286; the last 7 (28 … 34): 1 → (1/7) / (15/35) = 1/3; the last 14: (4/14) / (15/35) = 2/3.
        // Silent since 28: 6 days; the longest earlier silence: 10 … 19, 10 days. Weighted: Σ 0.8^age over the active
        // days (ages 6, 8, 10, 12, 14 and 25 … 34) / Σ 0.8^k for k = 0 … 34, / (15/35).
        double[] ages = [6, 8, 10, 12, 14, .. Enumerable.Range(25, 10).Select(k => (double)k)];
        var weighted = ages.Sum(k => Math.Pow(0.8, k)) / Enumerable.Range(0, 35).Sum(k => Math.Pow(0.8, k)) / (15 / 35.0);
        Assert.Equal(0.3113, Math.Round(weighted, 4));
        Assert.Equal(new ChurnActivityFeatures(4, 4, 0.4286, 0.3333, 0.6667, 6, 10, 0.3113), a);
        Assert.Equal(0.6, a.SilenceVsLongest, 10);
        var at = UserModel.EndOfDay(s_day0 + 34);
        var vector = ChurnModelFeatures.Vector(model, model.ChurnFeaturesAt(at), at);
        Assert.Equal([4f, 4f, 0.4286f, 0.3333f, 0.6667f, 6f, 10f, 0.6f, 0.3113f],
            ChurnModelFeatures.Names.Skip(ChurnModelFeatures.Names.ToList().IndexOf("active_days_14")).Select(n => Feature(vector, n)));
    }

    [Fact]
    public void ActivityShape_OfANewAccount_CountsOnlyTheDaysSinceItsFirstActiveDay()
    {
        // Active on days 0, 1, 2 and 4: today is day 4. Four of five days; the last 7 and 14 days are those five days;
        // weighted: (1 + 0.8^2 + 0.8^3 + 0.8^4) / (1 + 0.8 + … + 0.8^4) / 0.8 = 2.5616 / 3.3616 / 0.8 = 0.9525.
        var b = new EventBuilder("new");
        var model = Model("new", new[] { 0, 1, 2, 4 }.Select(d => b.Track("login", Noon(d))));

        var a = ChurnActivityFeatures.Of(model, s_day0 + 4);

        Assert.Equal(new ChurnActivityFeatures(4, 0, 0.8, 1, 1, 0, 1, 0.9525), a);
        Assert.Equal(0, a.SilenceVsLongest);
        Assert.Equal(new ChurnActivityFeatures(0, 0, 0, 0, 0, ChurnActivityFeatures.HistoryDays, 0, 0),
            ChurnActivityFeatures.Of(new UserModel { UserId = "nobody" }, s_day0));
    }

    [Fact]
    public void ActivityShape_LooksBackOverTheHistoryWindowOnly()
    {
        // Active on day 0 and from day 100 on: day 0 lies outside the 90 days up to day 110 (21 … 110), so its
        // 99-day silence is no earlier silence and the rate counts from day 100.
        var b = new EventBuilder("old");
        var model = Model("old", new[] { 0 }.Concat(Enumerable.Range(100, 11)).Select(d => b.Track("login", Noon(d))));

        Assert.Equal(new ChurnActivityFeatures(11, 0, 1, 1, 1, 0, 0, 1), ChurnActivityFeatures.Of(model, s_day0 + 110));
    }

    [Fact]
    public void FeatureNames_MatchTheModelsInputWidth_AndEachHasWords()
    {
        Assert.Equal(ChurnRow.Length, ChurnModelFeatures.Count);
        Assert.Equal(ChurnModelFeatures.Count, ChurnModelFeatures.Names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ChurnModelFeatures.Names, n => Assert.DoesNotContain(" = ", ChurnModelFeatures.Describe(n, 2), StringComparison.Ordinal));
        Assert.Equal("2 failed payments in a row", ChurnModelFeatures.Describe("payment_failures_in_row", 2));
        Assert.Equal("silent 1.5× as long as ever before", ChurnModelFeatures.Describe("silence_vs_longest", 1.5));
    }
}
