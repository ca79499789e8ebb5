using System.Text.Json;
using SampleMind.Analytics.Revenue;
using SampleMind.Analytics.Users;
using SampleMind.Testing;

namespace SampleMind.UnitTests.Revenue;

public sealed class MrrMovementsTests
{
    private static readonly DateTimeOffset Start = new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The user events of each person for the simulated month, as the webhook applier makes them.</summary>
    private static Dictionary<string, List<EventFacts>> PersonEvents()
    {
        var people = new Dictionary<string, List<EventFacts>>(StringComparer.Ordinal);
        foreach (var change in SimulatedStripeMonth.Changes(Start))
        {
            using var document = JsonDocument.Parse(StripeEvents.Subscription(change.EventId, change.Type, change.Created, change.Spec));
            var person = change.Person;
            foreach (var e in StripeUserEvents.For(person, document.RootElement))
            {
                (people.TryGetValue(person, out var list) ? list : people[person] = []).Add(EventFacts.Parse(e.Json));
            }
        }
        return people;
    }

    private static UserModel Apply(string person, IEnumerable<EventFacts> events)
    {
        var model = new UserModel { UserId = person };
        foreach (var e in events)
        {
            model.Apply(e);
        }
        return model;
    }

    private static SortedDictionary<int, MrrDayFigures> Expected()
        => new(SimulatedStripeMonth.ExpectedMovements(Start).ToDictionary(p => p.Key, p => new MrrDayFigures
        {
            New = p.Value[0], Expansion = p.Value[1], Contraction = p.Value[2], Churn = p.Value[3], Reactivation = p.Value[4],
            NewCustomers = (int)p.Value[5], ReactivatedCustomers = (int)p.Value[6], ChurnedCustomers = (int)p.Value[7],
        }));

    private static SortedDictionary<int, MrrDayFigures> Movements(Dictionary<string, UserModel> models)
    {
        var days = new SortedDictionary<int, MrrDayFigures>();
        foreach (var model in models.Values)
        {
            foreach (var (day, share) in MrrMovements.ShareOf(model.StripeSubscriptionObservations))
            {
                (days.TryGetValue(day, out var f) ? f : days[day] = new MrrDayFigures()).Add(share);
            }
        }
        return days;
    }

    private static void AssertSame(SortedDictionary<int, MrrDayFigures> expected, SortedDictionary<int, MrrDayFigures> actual)
    {
        static string Show(SortedDictionary<int, MrrDayFigures> days) => string.Join("\n", days.Select(p =>
            $"{DateOnly.FromDayNumber(p.Key):MM-dd} new {p.Value.New} exp {p.Value.Expansion} con {p.Value.Contraction} churn {p.Value.Churn} react {p.Value.Reactivation} n{p.Value.NewCustomers} r{p.Value.ReactivatedCustomers} c{p.Value.ChurnedCustomers}"));
        Assert.Equal(Show(expected), Show(actual));
    }

    [Fact]
    public void SimulatedMonth_MovementsEqualAnIndependentComputation()
    {
        var models = PersonEvents().ToDictionary(p => p.Key, p => Apply(p.Key, p.Value));
        var expected = Expected();
        AssertSame(expected, Movements(models));

        // The month in figures (written out, so a change in the scenario or the rules shows here).
        var total = new MrrDayFigures();
        foreach (var f in expected.Values)
        {
            total.Add(f);
        }
        Assert.Equal((29m + 43.33m + 75m + 45m + 41.58m + 10m + 15m, 58m + 25m, -29m, -45m - 41.58m - 43.33m, 43.33m + 60m),
            (total.New, total.Expansion, total.Contraction, total.Churn, total.Reactivation));
        Assert.Equal((7, 2, 3), (total.NewCustomers, total.ReactivatedCustomers, total.ChurnedCustomers));

        var rows = MrrReport.Rows(expected, Start.DayNumber(), Start.DayNumber() + 29);
        Assert.Equal(58m + 43.33m + 100m + 60m + 10m + 15m, rows[^1].Mrr);
        Assert.Equal(6, rows[^1].Customers);
        Assert.Equal((58m, 0m, 43.33m, 100m, 60m, 10m),
            (models["person-a"].Mrr, models["person-b"].Mrr, models["person-c"].Mrr, models["person-d"].Mrr, models["person-e"].Mrr, models["person-f"].Mrr));
        Assert.Equal(rows.Sum(r => r.Net), rows[^1].Mrr);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    public void OutOfOrderDelivery_GivesTheSameMrrAndMovements(int seed)
    {
        var people = PersonEvents();
        var inOrder = people.ToDictionary(p => p.Key, p => Apply(p.Key, p.Value));
        var random = new Random(seed);
        var shuffled = people.ToDictionary(p => p.Key, p => Apply(p.Key, p.Value.OrderBy(_ => random.Next())));
        AssertSame(Movements(inOrder), Movements(shuffled));
        foreach (var person in people.Keys)
        {
            Assert.Equal(inOrder[person].Mrr, shuffled[person].Mrr);
            Assert.Equal(inOrder[person].StripeSubscriptionsNow.Select(s => (s.SubscriptionId, s.Status, s.Mrr, s.Quantity)),
                shuffled[person].StripeSubscriptionsNow.Select(s => (s.SubscriptionId, s.Status, s.Mrr, s.Quantity)));
        }
        // person-d's subscription as Stripe says it is now: set to cancel at the period end, the once-coupon ignored.
        var d = Assert.Single(shuffled["person-d"].StripeSubscriptionsNow);
        Assert.Equal(("active", 100m, true, "price_10000_month"), (d.Status, d.Mrr, d.CancelAtPeriodEnd, d.PriceId));
    }

    [Fact]
    public void SameSecond_CreatedThenDeleted_EndsDeletedInEitherArrivalOrder()
    {
        var spec = new SubscriptionSpec("sub_x", "cus_x", "active", 1000, UserId: "x");
        var created = StripeEvents.Subscription("evt_z", "customer.subscription.created", 1_780_000_000, spec);
        var deleted = StripeEvents.Subscription("evt_a", "customer.subscription.deleted", 1_780_000_000, spec with { Status = "canceled" });
        decimal MrrOf(params string[] payloads)
        {
            var model = new UserModel { UserId = "x" };
            foreach (var payload in payloads)
            {
                using var document = JsonDocument.Parse(payload);
                foreach (var e in StripeUserEvents.For("x", document.RootElement))
                {
                    model.Apply(EventFacts.Parse(e.Json));
                }
            }
            return model.Mrr;
        }
        Assert.Equal((0m, 0m), (MrrOf(created, deleted), MrrOf(deleted, created)));
    }

    [Fact]
    public void Snapshot_KeepsTheSubscriptionsAndRefunds()
    {
        var model = PersonEvents()["person-d"].Aggregate(new UserModel { UserId = "person-d" }, (m, e) => { m.Apply(e); return m; });
        var read = UserSnapshots.Read(UserSnapshots.Write(model))!;
        Assert.Equal(model.StripeSubscriptionObservations, read.StripeSubscriptionObservations);
        Assert.Equal(100m, read.Mrr);
        Assert.Equal(100m, read.MonthlyRevenue);
    }

    [Fact]
    public void Refunds_CountEachChargesLargestRefund_InAnyOrder_AndStripeRevenueIsPaidMinusRefunded()
    {
        var day1 = Start.ToUnixTimeSeconds() + 3600;
        var day2 = day1 + 86_400;
        var payloads = new[]
        {
            StripeEvents.InvoicePaid("evt_p1", day1, "cus_r", 5000),
            StripeEvents.InvoicePaid("evt_p2", day2, "cus_r", 3000),
            StripeEvents.ChargeRefunded("evt_r1", day1 + 60, "cus_r", "ch_1", 5000, 1000),  // $10 refunded on day 1
            StripeEvents.ChargeRefunded("evt_r2", day2 + 60, "cus_r", "ch_1", 5000, 2500),  // $15 more on day 2 (25 so far)
        };
        foreach (var order in new[] { new[] { 0, 1, 2, 3 }, new[] { 3, 2, 1, 0 }, new[] { 1, 3, 0, 2 } })
        {
            var model = new UserModel { UserId = "r" };
            foreach (var i in order)
            {
                using var document = JsonDocument.Parse(payloads[i]);
                foreach (var e in StripeUserEvents.For("r", document.RootElement))
                {
                    model.Apply(EventFacts.Parse(e.Json));
                }
            }
            var d1 = UserModel.DayOf(DateTimeOffset.FromUnixTimeSeconds(day1));
            Assert.Equal(25m, model.Refunded);
            Assert.Equal((10m, 15m), (model.RefundsOn(d1), model.RefundsOn(d1 + 1)));
            Assert.Equal(((40m, 1), (15m, 1)), (model.StripeRevenueOn(d1), model.StripeRevenueOn(d1 + 1)));
            Assert.Equal(((50m, 1), (30m, 1)), (model.RevenueOn(d1, RevenueSource.Events), model.RevenueOn(d1 + 1, RevenueSource.Events)));
        }
    }
}

internal static class DateExtensions
{
    public static int DayNumber(this DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;
}
