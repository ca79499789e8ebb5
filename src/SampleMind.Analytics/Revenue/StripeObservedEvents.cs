using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SampleMind.Analytics.Revenue;

/// <summary>A Stripe event made from an object read through Stripe's API (not delivered by Stripe): its JSON as a webhook's.</summary>
public sealed record class ObservedStripeEvent(string Id, string Type, long Created, string ObjectId, string Payload);

/// <summary>The latest stored observation of one subscription (from <c>stripe_events</c>), by the event order of the MRR model.</summary>
public sealed record class StoredSubscriptionState(long Created, int Rank, string EventId, StripeSubscriptionFacts Facts)
{
    /// <summary>Whether <paramref name="other"/> comes later in <see cref="SubscriptionObservation.InOrder"/>'s order.</summary>
    public bool IsBefore(StoredSubscriptionState other)
        => Created != other.Created ? Created < other.Created
        : Rank != other.Rank ? Rank < other.Rank
        : string.CompareOrdinal(EventId, other.EventId) < 0;
}

/// <summary>
/// <c>samplemind stripe backfill</c>'s objects as Stripe events, so that they take the webhook's one path (stored in
/// <c>stripe_events</c>, applied through the person's log, checked by the same SQL oracle). Each event's id is a hash of
/// the observed object state (<c>evt_backfill_…</c>): a second backfill of the same state is a duplicate delivery.
/// Each event's <c>created</c> is the object's own time of that state:
/// <list type="bullet">
/// <item>customer → <c>customer.created</c> at the customer's <c>created</c> (maps the customer through metadata.user_id);</item>
/// <item>subscription → <c>customer.subscription.deleted</c> at <c>ended_at</c> (else <c>canceled_at</c>) when canceled;
/// (preceded, when nothing about it is stored, by the state it ran in); else at the latest of <c>start_date</c>/<c>created</c>,
/// an ended trial's <c>trial_end</c>, a discount's <c>start</c> and the items' <c>created</c>
/// (<c>customer.subscription.created</c> when that is the subscription's creation). A state equal
/// to the latest one already stored (a webhook's or an earlier backfill's) adds nothing; a state that differs from a
/// stored one at or after that time comes one second after it (Stripe says it is the state now);</item>
/// <item>paid invoice → <c>invoice.paid</c> at <c>status_transitions.paid_at</c> (the person's payment is keyed by the
/// invoice, <see cref="StripeUserEvents"/>, so a webhook of the same invoice is the same payment);</item>
/// <item>refunds of a charge → one <c>charge.refunded</c> per refund at its <c>created</c>, carrying the charge's
/// cumulative <c>amount_refunded</c> up to it (as Stripe's own events do).</item>
/// </list>
/// </summary>
public static class StripeObservedEvents
{
    public const string IdPrefix = "evt_backfill_";

    public static ObservedStripeEvent? Customer(JsonElement customer)
    {
        if (Text(customer, "id") is not { } id)
        {
            return null;
        }
        var user = Metadata(customer, "user_id") ?? Metadata(customer, "userId");
        var created = Seconds(customer, "created") ?? 0;
        return Make("customer.created", created, id, customer, $"{id}|{user}");
    }

    /// <summary>
    /// The subscription's observed state (none when the latest stored state is the same); for a canceled subscription
    /// nothing stored knows about, first the state it had while it ran (its items, active from its start or its trial's
    /// end), so that a backfill shows its churn.
    /// </summary>
    public static List<ObservedStripeEvent> Subscription(JsonElement subscription, long nowSeconds, StoredSubscriptionState? latest)
    {
        var events = new List<ObservedStripeEvent>(2);
        if (Text(subscription, "id") is not { } id)
        {
            return events;
        }
        var canceled = Text(subscription, "status") is "canceled" or "incomplete_expired";
        var type = canceled ? "customer.subscription.deleted" : "customer.subscription.updated";
        var facts = StripeSubscriptions.Read(subscription, type);
        if (latest is not null && latest.Facts == facts)
        {
            return events; // already known as it is now
        }
        var created = Seconds(subscription, "created") ?? 0;
        var ran = RunningSince(subscription, created, nowSeconds);
        long at;
        if (canceled)
        {
            at = Seconds(subscription, "ended_at") ?? Seconds(subscription, "canceled_at") ?? created;
            if (latest is null && Text(subscription, "status") == "canceled" && ran < at)
            {
                var running = JsonNode.Parse(subscription.GetRawText())!.AsObject();
                running["status"] = "active";
                running.Remove("ended_at");
                running.Remove("canceled_at");
                using var document = JsonDocument.Parse(running.ToJsonString());
                var ranType = ran <= created ? "customer.subscription.created" : "customer.subscription.updated";
                events.Add(SubscriptionEvent(ranType, ran, id, document.RootElement, StripeSubscriptions.Read(document.RootElement, ranType)));
            }
        }
        else
        {
            at = ran;
            if (Text(subscription, "status") == "trialing")
            {
                at = Seconds(subscription, "trial_start") ?? at;
            }
            if (at <= created)
            {
                type = "customer.subscription.created";
            }
        }
        var rank = StripeSubscriptions.RankOf(type);
        if (latest is not null && !latest.IsBefore(new StoredSubscriptionState(at, rank, "~", facts)))
        {
            at = latest.Created + 1;
        }
        events.Add(SubscriptionEvent(type, at, id, subscription, facts));
        return events;
    }

    /// <summary>When the subscription's present terms began, by its own timestamps (start, an ended trial, a discount, its items).</summary>
    private static long RunningSince(JsonElement subscription, long created, long nowSeconds)
    {
        var at = Seconds(subscription, "start_date") ?? created;
        if (Text(subscription, "status") != "trialing" && Seconds(subscription, "trial_end") is { } trialEnd && trialEnd <= nowSeconds)
        {
            at = Math.Max(at, trialEnd);
        }
        if (Object(subscription, "discount") is { } discount && Seconds(discount, "start") is { } discountStart && discountStart <= nowSeconds)
        {
            at = Math.Max(at, discountStart);
        }
        foreach (var item in ItemsOf(subscription))
        {
            if (Seconds(item, "created") is { } itemCreated && itemCreated <= nowSeconds)
            {
                at = Math.Max(at, itemCreated);
            }
        }
        return at;
    }

    private static ObservedStripeEvent SubscriptionEvent(string type, long at, string id, JsonElement subscription, StripeSubscriptionFacts facts)
    {
        var key = string.Create(CultureInfo.InvariantCulture,
            $"{id}|{at}|{facts.Status}|{facts.Mrr}|{facts.Currency}|{facts.PriceId}|{facts.Quantity}|{facts.Interval}|{facts.IntervalCount}|{facts.CancelAtPeriodEnd}|{facts.Coupon}");
        return Make(type, at, id, subscription, key);
    }

    public static ObservedStripeEvent? InvoicePaid(JsonElement invoice)
    {
        if (Text(invoice, "id") is not { } id || Text(invoice, "status") != "paid")
        {
            return null;
        }
        var paidAt = Object(invoice, "status_transitions") is { } t ? Seconds(t, "paid_at") : null;
        return Make("invoice.paid", paidAt ?? Seconds(invoice, "created") ?? 0, id, invoice, $"{id}|paid");
    }

    /// <summary>One <c>charge.refunded</c> per succeeded refund of <paramref name="charge"/>, in the refunds' order.</summary>
    public static List<ObservedStripeEvent> Refunds(JsonElement charge, IEnumerable<JsonElement> refunds)
    {
        var events = new List<ObservedStripeEvent>();
        if (Text(charge, "id") is not { } id)
        {
            return events;
        }
        long cumulative = 0;
        var ordered = refunds.Where(r => Text(r, "status") is null or "succeeded")
            .OrderBy(r => Seconds(r, "created") ?? 0).ThenBy(r => Text(r, "id"), StringComparer.Ordinal);
        foreach (var refund in ordered)
        {
            cumulative += (long)(Number(refund, "amount") ?? 0);
            var state = JsonNode.Parse(charge.GetRawText())!.AsObject();
            state["amount_refunded"] = cumulative;
            state["refunded"] = cumulative >= (long)(Number(charge, "amount") ?? 0);
            using var document = JsonDocument.Parse(state.ToJsonString());
            events.Add(Make("charge.refunded", Seconds(refund, "created") ?? 0, id, document.RootElement,
                string.Create(CultureInfo.InvariantCulture, $"{id}|{cumulative}")));
        }
        return events;
    }

    /// <summary>The event envelope of Stripe's API reference around <paramref name="data"/>.</summary>
    public static string Envelope(string id, string type, long created, JsonElement data) => new JsonObject
    {
        ["id"] = id,
        ["object"] = "event",
        ["api_version"] = Text(data, "api_version"),
        ["created"] = created,
        ["livemode"] = data.TryGetProperty("livemode", out var live) && live.ValueKind == JsonValueKind.True,
        ["pending_webhooks"] = 0,
        ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = JsonNode.Parse(data.GetRawText()) },
    }.ToJsonString();

    private static ObservedStripeEvent Make(string type, long created, string objectId, JsonElement data, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{type}|{key}"));
        var id = IdPrefix + Convert.ToHexStringLower(hash)[..24];
        return new ObservedStripeEvent(id, type, created, objectId, Envelope(id, type, created, data));
    }

    private static IEnumerable<JsonElement> ItemsOf(JsonElement subscription)
        => Object(subscription, "items") is { } items && items.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray()
            : [];

    private static string? Metadata(JsonElement parent, string name)
        => Object(parent, "metadata") is { } metadata ? Text(metadata, name) : null;

    private static JsonElement? Object(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? Text(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            && v.GetString() is { Length: > 0 } s ? s : null;

    private static long? Seconds(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            && v.TryGetInt64(out var s) && s > 0 ? s : null;

    private static decimal? Number(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            && v.TryGetDecimal(out var d) ? d : null;
}
