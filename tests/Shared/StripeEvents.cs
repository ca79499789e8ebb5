using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SampleMind.Testing;

/// <summary>A subscription's state in a test: what the Stripe subscription object will show.</summary>
public sealed record class SubscriptionSpec(
    string Id,
    string Customer,
    string Status,
    long UnitAmount,
    long Quantity = 1,
    string Interval = "month",
    int IntervalCount = 1,
    decimal? PercentOff = null,
    long? AmountOff = null,
    string CouponDuration = "forever",
    bool CancelAtPeriodEnd = false,
    string Currency = "usd",
    string? UserId = null);

/// <summary>
/// Stripe events in the shapes of Stripe's API reference (event envelope, subscription with items.data[].price,
/// discount.coupon, invoices, charges), and the Stripe-Signature header exactly as Stripe computes it.
/// </summary>
public static class StripeEvents
{
    public static string Subscription(string eventId, string type, long created, SubscriptionSpec s)
    {
        var price = new JsonObject
        {
            ["id"] = $"price_{s.UnitAmount}_{s.Interval}",
            ["object"] = "price",
            ["currency"] = s.Currency,
            ["unit_amount"] = s.UnitAmount,
            ["lookup_key"] = $"pro_{s.Interval}",
            ["recurring"] = new JsonObject { ["interval"] = s.Interval, ["interval_count"] = s.IntervalCount },
        };
        var subscription = new JsonObject
        {
            ["id"] = s.Id,
            ["object"] = "subscription",
            ["customer"] = s.Customer,
            ["status"] = s.Status,
            ["currency"] = s.Currency,
            ["cancel_at_period_end"] = s.CancelAtPeriodEnd,
            ["created"] = created,
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = $"si_{s.Id}",
                    ["object"] = "subscription_item",
                    ["quantity"] = s.Quantity,
                    ["price"] = price,
                }),
                ["has_more"] = false,
            },
            ["metadata"] = s.UserId is null ? new JsonObject() : new JsonObject { ["user_id"] = s.UserId },
        };
        if (s.PercentOff is not null || s.AmountOff is not null)
        {
            subscription["discount"] = new JsonObject
            {
                ["id"] = $"di_{s.Id}",
                ["object"] = "discount",
                ["coupon"] = new JsonObject
                {
                    ["id"] = s.PercentOff is { } p ? $"pct{p}" : $"off{s.AmountOff}",
                    ["object"] = "coupon",
                    ["duration"] = s.CouponDuration,
                    ["percent_off"] = s.PercentOff,
                    ["amount_off"] = s.AmountOff,
                    ["currency"] = s.AmountOff is null ? null : s.Currency,
                },
            };
        }
        return Envelope(eventId, type, created, subscription);
    }

    public static string InvoicePaid(string eventId, long created, string customer, long amountPaid, string currency = "usd")
        => Envelope(eventId, "invoice.paid", created, new JsonObject
        {
            ["id"] = $"in_{eventId}", ["object"] = "invoice", ["customer"] = customer, ["amount_paid"] = amountPaid,
            ["currency"] = currency, ["status"] = "paid",
        });

    public static string ChargeRefunded(string eventId, long created, string customer, string charge, long amount, long amountRefunded)
        => Envelope(eventId, "charge.refunded", created, new JsonObject
        {
            ["id"] = charge, ["object"] = "charge", ["customer"] = customer, ["amount"] = amount,
            ["amount_refunded"] = amountRefunded, ["currency"] = "usd", ["refunded"] = amountRefunded >= amount,
        });

    public static string Customer(string eventId, long created, string customer, string userId)
        => Envelope(eventId, "customer.created", created, new JsonObject
        {
            ["id"] = customer, ["object"] = "customer", ["metadata"] = new JsonObject { ["user_id"] = userId },
        });

    public static string Envelope(string eventId, string type, long created, JsonObject data) => new JsonObject
    {
        ["id"] = eventId,
        ["object"] = "event",
        ["api_version"] = "2024-06-20",
        ["created"] = created,
        ["livemode"] = false,
        ["pending_webhooks"] = 1,
        ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = data },
    }.ToJsonString();

    /// <summary>The Stripe-Signature header: t=timestamp,v1=hex(HMAC-SHA256(secret, "{t}.{payload}")).</summary>
    public static string Sign(string payload, string secret, long timestamp)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }
}

/// <summary>
/// A month of subscription changes for a small population, with every customer's intended MRR per day written down
/// independently of the code under test (the price arithmetic is done by hand here).
/// </summary>
public static class SimulatedStripeMonth
{
    public sealed record class Change(string EventId, string Type, long Created, SubscriptionSpec Spec, decimal IntendedMrr, string Person);

    /// <summary>The customer whose subscription events carry no metadata.user_id: mapped later by a customer event.</summary>
    public const string UnmappedCustomer = "cus_g";

    public const string UnmappedPerson = "person-g";

    /// <summary>The month's changes starting at <paramref name="start"/> (00:00 UTC of day 1); customers cus_a..cus_f.</summary>
    public static List<Change> Changes(DateTimeOffset start)
    {
        long At(int day, int hour, int minute = 0) => start.AddDays(day - 1).AddHours(hour).AddMinutes(minute).ToUnixTimeSeconds();
        var changes = new List<Change>();
        var n = 0;
        void Add(string type, long created, SubscriptionSpec spec, decimal intended)
            => changes.Add(new Change($"evt_sim_{++n:D3}", type, created, spec, intended, spec.UserId ?? UnmappedPerson));

        // A: $29/month from day 1, upgrades to 3 seats on day 10 (87), drops to 2 seats on day 20 (58).
        var a = new SubscriptionSpec("sub_a", "cus_a", "active", 2900, UserId: "person-a");
        Add("customer.subscription.created", At(1, 9), a, 29m);
        Add("customer.subscription.updated", At(10, 12), a with { Quantity = 3 }, 87m);
        Add("customer.subscription.updated", At(20, 8), a with { Quantity = 2 }, 58m);
        // B: trial from day 2 (0), converts on day 16 to $499/year (41.58), churns on day 25.
        var b = new SubscriptionSpec("sub_b", "cus_b", "trialing", 49900, Interval: "year", UserId: "person-b");
        Add("customer.subscription.created", At(2, 10), b, 0m);
        Add("customer.subscription.updated", At(16, 10), b with { Status = "active" }, 41.58m);
        Add("customer.subscription.deleted", At(25, 23, 59), b with { Status = "canceled" }, 0m);
        // C: $10/week (43.33) from day 3, goes past_due on day 8 (still 43.33), paused on day 12 (0), resumes on day 18 (reactivation).
        var c = new SubscriptionSpec("sub_c", "cus_c", "active", 1000, Interval: "week", UserId: "person-c");
        Add("customer.subscription.created", At(3, 0, 30), c, 43.33m);
        Add("customer.subscription.updated", At(8, 6), c with { Status = "past_due" }, 43.33m);
        Add("customer.subscription.updated", At(12, 6), c with { Status = "paused" }, 0m);
        Add("customer.subscription.updated", At(18, 6), c with { Status = "active" }, 43.33m);
        // D: $100/month with 25% off forever (75) from day 5; the coupon is removed on day 15 (100); set to cancel at the
        // period end on day 21 (still 100); a $20-off-once coupon on day 22 changes nothing.
        var d = new SubscriptionSpec("sub_d", "cus_d", "active", 10000, PercentOff: 25m, UserId: "person-d");
        Add("customer.subscription.created", At(5, 15), d, 75m);
        Add("customer.subscription.updated", At(15, 15), d with { PercentOff = null }, 100m);
        Add("customer.subscription.updated", At(21, 15), d with { PercentOff = null, CancelAtPeriodEnd = true }, 100m);
        Add("customer.subscription.updated", At(22, 15), d with { PercentOff = null, AmountOff = 2000, CouponDuration = "once", CancelAtPeriodEnd = true }, 100m);
        // E: $50/month from day 4 with $5 off forever (45), churns on day 9, comes back on day 19 on a new $60 subscription.
        var e = new SubscriptionSpec("sub_e1", "cus_e", "active", 5000, AmountOff: 500, UserId: "person-e");
        Add("customer.subscription.created", At(4, 4), e, 45m);
        Add("customer.subscription.deleted", At(9, 4), e with { Status = "canceled" }, 0m);
        Add("customer.subscription.created", At(19, 4), new SubscriptionSpec("sub_e2", "cus_e", "active", 6000, UserId: "person-e"), 60m);
        // F: $20/month two-monthly ($10) starts and is canceled on the same day 6 (no movement), starts again on day 27 (new).
        var f = new SubscriptionSpec("sub_f", "cus_f", "active", 2000, IntervalCount: 2, UserId: "person-f");
        Add("customer.subscription.created", At(6, 1), f, 10m);
        Add("customer.subscription.deleted", At(6, 22), f with { Status = "canceled" }, 0m);
        Add("customer.subscription.created", At(27, 1), f with { Id = "sub_f2" }, 10m);
        // G: $15/month from day 7, its customer mapped to a person only by a customer event (no metadata on the subscription).
        Add("customer.subscription.created", At(7, 7), new SubscriptionSpec("sub_g", UnmappedCustomer, "active", 1500), 15m);
        return changes;
    }

    /// <summary>
    /// The independent computation: each person's intended MRR at the end of each day of the 30 days (the hand-computed
    /// figure of the latest change of each subscription up to then), and ChartMogul's rules between consecutive days.
    /// Day number → (new, expansion, contraction, churn, reactivation, new customers, reactivated, churned).
    /// </summary>
    public static SortedDictionary<int, decimal[]> ExpectedMovements(DateTimeOffset start)
    {
        var changes = Changes(start);
        var expected = new SortedDictionary<int, decimal[]>();
        foreach (var person in changes.Select(c => c.Person).Distinct())
        {
            decimal previous = 0;
            var everPaid = false;
            for (var day = 1; day <= 30; day++)
            {
                var endOfDay = start.AddDays(day).ToUnixTimeSeconds();
                var mrr = changes.Where(c => c.Person == person && c.Created < endOfDay)
                    .GroupBy(c => c.Spec.Id).Sum(g => g.MaxBy(c => c.Created)!.IntendedMrr);
                var dayNumber = DateOnly.FromDateTime(start.AddDays(day - 1).UtcDateTime).DayNumber;
                if (mrr != previous)
                {
                    var f = expected.TryGetValue(dayNumber, out var x) ? x : expected[dayNumber] = new decimal[8];
                    var change = mrr - previous;
                    var (kind, counter) = previous == 0 && !everPaid ? (0, 5) : previous == 0 ? (4, 6) : mrr == 0 ? (3, 7)
                        : mrr > previous ? (1, -1) : (2, -1);
                    f[kind] += change;
                    if (counter >= 0)
                    {
                        f[counter]++;
                    }
                }
                everPaid |= mrr > 0;
                previous = mrr;
            }
        }
        return expected;
    }
}
