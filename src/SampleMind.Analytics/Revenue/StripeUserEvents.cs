using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Revenue;

/// <summary>One event of a person's log made from a Stripe event (Segment-spec track JSON).</summary>
public sealed record class StripeUserEvent(string MessageId, string Name, DateTimeOffset Timestamp, string Json);

/// <summary>
/// The person's events for one Stripe event, at the event's <c>created</c> time, messageId <c>stripe-{event id}</c>
/// (so any number of deliveries or re-applications count once): <c>invoice.paid</c> → <c>payment_succeeded</c>
/// (amount_paid in the major unit; messageId <c>stripe-{invoice id}-paid</c> at <c>status_transitions.paid_at</c>, so a
/// webhook and a backfill of the same invoice count once), <c>invoice.payment_failed</c> → <c>payment_failed</c>, <c>charge.refunded</c> →
/// <c>payment_refunded</c> (the charge's amount_refunded so far), <c>customer.subscription.*</c> →
/// <c>stripe_subscription</c> (status, normalised MRR, plan, quantity, coupon: <see cref="StripeSubscriptions"/>); a
/// deletion also → <c>subscription_canceled</c> (messageId <c>stripe-{id}-canceled</c>), which churn features read.
/// </summary>
public static class StripeUserEvents
{
    public static List<StripeUserEvent> For(string user, JsonElement stripeEvent)
    {
        var data = stripeEvent.GetProperty("data").GetProperty("object");
        var type = stripeEvent.GetProperty("type").GetString()!;
        var id = stripeEvent.GetProperty("id").GetString()!;
        var created = DateTimeOffset.FromUnixTimeSeconds(stripeEvent.GetProperty("created").GetInt64());
        var events = new List<StripeUserEvent>(2);
        void Add(string messageId, string name, JsonObject properties, DateTimeOffset? when = null)
        {
            var at = when ?? created;
            properties["source"] = "stripe";
            properties["stripe_event_id"] = id;
            properties["stripe_object_id"] = Text(data, "id");
            var json = new JsonObject
            {
                ["type"] = "track",
                ["messageId"] = messageId,
                ["userId"] = user,
                ["event"] = name,
                ["timestamp"] = at.ToString("O", CultureInfo.InvariantCulture),
                ["properties"] = properties,
                ["context"] = new JsonObject { ["library"] = new JsonObject { ["name"] = "samplemind-stripe" } },
            };
            events.Add(new StripeUserEvent(messageId, name, at, json.ToJsonString()));
        }
        var messageId = $"stripe-{id}";
        switch (type)
        {
            case "invoice.paid" when Text(data, "id") is { } invoice:
                // One payment per invoice, at the invoice's own paid_at: the webhook and a backfill
                // (samplemind stripe backfill) of the same invoice are the same event of the person's log.
                Add($"stripe-{invoice}-paid", EventNames.PaymentSucceeded, Money(data, "amount_paid"), PaidAt(data) ?? created);
                break;
            case "invoice.paid":
                Add(messageId, EventNames.PaymentSucceeded, Money(data, "amount_paid"));
                break;
            case "invoice.payment_failed":
                Add(messageId, EventNames.PaymentFailed, Money(data, "amount_due"));
                break;
            case "charge.refunded":
                var refund = Money(data, "amount_refunded");
                refund["charge_id"] = Text(data, "id");
                Add(messageId, EventNames.PaymentRefunded, refund);
                break;
            case "customer.subscription.created" or "customer.subscription.updated" or "customer.subscription.deleted":
                Add(messageId, EventNames.StripeSubscription, Subscription(data, type));
                if (type == "customer.subscription.deleted")
                {
                    Add($"{messageId}-canceled", EventNames.SubscriptionCanceled, new JsonObject());
                }
                break;
        }
        return events;
    }

    private static JsonObject Subscription(JsonElement data, string type)
    {
        var s = StripeSubscriptions.Read(data, type);
        return new JsonObject
        {
            ["subscription_id"] = s.SubscriptionId,
            ["status"] = s.Status,
            ["mrr"] = s.Mrr,
            ["currency"] = s.Currency,
            ["plan"] = s.Plan,
            ["price_id"] = s.PriceId,
            ["quantity"] = s.Quantity,
            ["interval"] = s.Interval,
            ["interval_count"] = s.IntervalCount,
            ["cancel_at_period_end"] = s.CancelAtPeriodEnd,
            ["coupon"] = s.Coupon,
            ["stripe_rank"] = StripeSubscriptions.RankOf(type),
        };
    }

    private static DateTimeOffset? PaidAt(JsonElement invoice)
        => invoice.TryGetProperty("status_transitions", out var transitions) && transitions.ValueKind == JsonValueKind.Object
            && transitions.TryGetProperty("paid_at", out var paidAt) && paidAt.ValueKind == JsonValueKind.Number
            && paidAt.TryGetInt64(out var seconds) && seconds > 0
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;

    private static string? Text(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            && v.GetString() is { Length: > 0 } s ? s : null;

    /// <summary>An amount in minor units as the major unit (cents → dollars; zero-decimal currencies as they are).</summary>
    private static JsonObject Money(JsonElement data, string field)
    {
        var minor = data.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        var currency = Text(data, "currency") ?? "usd";
        return new JsonObject
        {
            ["amount"] = StripeSubscriptions.ZeroDecimal(currency) ? minor : minor / 100m,
            ["currency"] = currency.ToUpperInvariant(),
        };
    }
}
