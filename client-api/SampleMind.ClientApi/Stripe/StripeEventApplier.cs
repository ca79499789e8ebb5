using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Revenue;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.ClientApi.Stripe;

/// <summary>
/// Applies stored Stripe events to the people they concern, as events of the person's own log (messageId
/// <c>stripe-{event id}</c>, so any number of deliveries or re-applications count once):
/// <c>invoice.paid</c> → <c>payment_succeeded</c> (amount_paid in the currency's major unit),
/// <c>invoice.payment_failed</c> → <c>payment_failed</c>, <c>charge.refunded</c> → <c>payment_refunded</c> (the charge's
/// amount_refunded so far), <c>customer.subscription.*</c> → <c>stripe_subscription</c> (status, normalised MRR, plan,
/// quantity, coupon; a deletion also → <c>subscription_canceled</c>, messageId <c>stripe-{id}-canceled</c>), each at the
/// event's <c>created</c> time. A customer maps to a person through
/// <c>metadata.user_id</c> (or <c>userId</c>) on a customer or subscription event; events of a customer not mapped yet
/// stay stored and are applied when the mapping arrives.
/// </summary>
public sealed class StripeEventApplier(NpgsqlDataSource dataSource, IClusterClient cluster)
{
    /// <summary>Applies one stored event (and, when it maps a customer, every stored event of that customer).</summary>
    public async Task ApplyAsync(JsonElement stripeEvent, CancellationToken cancellationToken)
    {
        var data = Object(stripeEvent);
        var customer = CustomerOf(stripeEvent.GetProperty("type").GetString()!, data);
        if (customer is null)
        {
            return;
        }
        if (MappedUserOf(data) is { } mapped)
        {
            var inserted = await MapAsync(customer, mapped, stripeEvent.GetProperty("id").GetString()!, cancellationToken);
            if (inserted)
            {
                // The customer's earlier events, kept until now.
                foreach (var stored in await StoredEventsOfAsync(customer, cancellationToken))
                {
                    await IngestAsync(mapped, stored, cancellationToken);
                }
                return;
            }
        }
        if (await UserOfAsync(customer, cancellationToken) is { } user)
        {
            await IngestAsync(user, stripeEvent, cancellationToken);
        }
    }

    private static JsonElement Object(JsonElement stripeEvent) => stripeEvent.GetProperty("data").GetProperty("object");

    private static string? CustomerOf(string type, JsonElement data)
        => type.StartsWith("customer.", StringComparison.Ordinal) && !type.StartsWith("customer.subscription.", StringComparison.Ordinal)
            ? Text(data, "id")
            : Text(data, "customer");

    private static string? MappedUserOf(JsonElement data)
        => data.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            ? Text(metadata, "user_id") ?? Text(metadata, "userId")
            : null;

    private static string? Text(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    /// <summary>Records the mapping; true when it is new (the first mapping of a customer wins).</summary>
    private async Task<bool> MapAsync(string customer, string user, string eventId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO stripe_customers (customer_id, user_id, mapped_by) VALUES ($1, $2, $3) ON CONFLICT (customer_id) DO NOTHING");
        command.Parameters.AddWithValue(customer);
        command.Parameters.AddWithValue(user);
        command.Parameters.AddWithValue(eventId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<string?> UserOfAsync(string customer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT user_id FROM stripe_customers WHERE customer_id = $1");
        command.Parameters.AddWithValue(customer);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private async Task<List<JsonElement>> StoredEventsOfAsync(string customer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT payload::text FROM stripe_events
            WHERE coalesce(payload->'data'->'object'->>'customer', payload->'data'->'object'->>'id') = $1
            ORDER BY created, id
            """);
        command.Parameters.AddWithValue(customer);
        var events = new List<JsonElement>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(JsonDocument.Parse(reader.GetString(0)).RootElement.Clone());
        }
        return events;
    }

    /// <summary>The person's events for one Stripe event, if it is one the model reads; durable when this returns.</summary>
    private async Task IngestAsync(string user, JsonElement stripeEvent, CancellationToken cancellationToken)
    {
        if (Encoding(user) > IngestLimits.MaxIdBytes || user.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') >= 0)
        {
            return; // a metadata.user_id no person can have (the ingest limits for ids)
        }
        var data = Object(stripeEvent);
        var type = stripeEvent.GetProperty("type").GetString()!;
        var id = stripeEvent.GetProperty("id").GetString()!;
        var at = DateTimeOffset.FromUnixTimeSeconds(stripeEvent.GetProperty("created").GetInt64());
        var events = new List<UserEvent>(2);
        void Add(string messageId, string name, JsonObject properties)
        {
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
            events.Add(new UserEvent(messageId, "track", name, at, json.ToJsonString()));
        }
        var messageId = $"stripe-{id}";
        switch (type)
        {
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
                    // The product-level cancellation the churn features and experiments read.
                    Add($"{messageId}-canceled", EventNames.SubscriptionCanceled, new JsonObject());
                }
                break;
        }
        if (events.Count == 0)
        {
            return;
        }
        cancellationToken.ThrowIfCancellationRequested();
        await cluster.GetGrain<IUserGrain>(user).IngestAsync([.. events]);
    }

    /// <summary>The subscription as this event shows it, its MRR normalised to a month (<see cref="StripeSubscriptions"/>).</summary>
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

    private static int Encoding(string s) => System.Text.Encoding.UTF8.GetByteCount(s);

    /// <summary>An amount in minor units as the major unit (cents → dollars; zero-decimal currencies as they are).</summary>
    private static JsonObject Money(JsonElement data, string field)
    {
        var minor = data.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        var currency = Text(data, "currency") ?? "usd";
        var zeroDecimal = StripeSubscriptions.ZeroDecimal(currency);
        return new JsonObject { ["amount"] = zeroDecimal ? minor : minor / 100m, ["currency"] = currency.ToUpperInvariant() };
    }
}
