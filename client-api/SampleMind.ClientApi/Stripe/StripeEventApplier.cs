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
/// Applies stored Stripe events to the people they concern, as events of the person's own log
/// (<see cref="StripeUserEvents"/>: one messageId per Stripe event, so deliveries and re-applications count once).
/// A customer maps to a person through <c>metadata.user_id</c> (or <c>userId</c>) on a customer or subscription event,
/// else through an identify whose traits carry <c>stripe_customer_id</c> (<see cref="MapByTraitAsync"/>); both write the
/// same map (<c>stripe_customers</c>) and the first mapping of a customer wins: a later one naming another person is
/// ignored (logged). Events of a customer not mapped yet stay stored and are applied when the mapping arrives.
/// </summary>
public sealed class StripeEventApplier(NpgsqlDataSource dataSource, IClusterClient cluster, ILogger<StripeEventApplier> logger)
{
    /// <summary>The trait of an identify that names the person's Stripe customer.</summary>
    public const string CustomerTrait = "stripe_customer_id";

    /// <summary>
    /// Maps <paramref name="customer"/> to <paramref name="user"/> (an identify with the trait <see cref="CustomerTrait"/>,
    /// <paramref name="messageId"/> recorded as what mapped it) unless the customer is mapped already, then applies every
    /// stored event of the customer when it is this person's: again on each such identify, so a retry after a failure
    /// between the mapping and the applying completes it (one messageId per Stripe event: each counts once).
    /// False when the customer belongs to another person (the first mapping wins; nothing is applied).
    /// </summary>
    public async Task<bool> MapByTraitAsync(string customer, string user, string messageId, CancellationToken cancellationToken)
    {
        await MapAsync(customer, user, $"trait:{messageId}", cancellationToken);
        var owner = await UserOfAsync(customer, cancellationToken);
        if (!string.Equals(owner, user, StringComparison.Ordinal))
        {
            logger.LogInformation("Stripe customer {Customer} is mapped to another person already; the identify {MessageId} of {User} does not remap it",
                customer, messageId, user);
            return false;
        }
        foreach (var stored in await StoredEventsOfAsync(customer, cancellationToken))
        {
            await IngestAsync(user, stored, cancellationToken);
        }
        return true;
    }

    /// <summary>Applies one stored event (and, when it maps a customer, every stored event of that customer).</summary>
    public async Task ApplyAsync(JsonElement stripeEvent, CancellationToken cancellationToken)
    {
        var data = Object(stripeEvent);
        var customer = CustomerOf(stripeEvent.GetProperty("type").GetString()!, data);
        if (customer is null)
        {
            return;
        }
        var mapped = MappedUserOf(data);
        if (mapped is not null)
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
            if (mapped is not null && !string.Equals(mapped, user, StringComparison.Ordinal))
            {
                logger.LogInformation("Stripe customer {Customer} is mapped to {User} already; the metadata of {EventId} naming {Other} does not remap it",
                    customer, user, stripeEvent.GetProperty("id").GetString(), mapped);
            }
            await IngestAsync(user, stripeEvent, cancellationToken);
        }
    }

    /// <summary>
    /// The <see cref="CustomerTrait"/> of a normalised identify (its JSON as stored), or null: also for a value no Stripe
    /// id can be (not a string, over 255 characters, control characters), which maps nothing.
    /// </summary>
    public static string? CustomerOfIdentify(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("traits", out var traits) && Text(traits, CustomerTrait) is { Length: <= 255 } id
            && id.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') < 0
            ? id
            : null;
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

    /// <summary>The person's events for one Stripe event (<see cref="StripeUserEvents"/>); durable when this returns.</summary>
    private async Task IngestAsync(string user, JsonElement stripeEvent, CancellationToken cancellationToken)
    {
        if (Encoding(user) > IngestLimits.MaxIdBytes || user.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') >= 0)
        {
            return; // a metadata.user_id no person can have (the ingest limits for ids)
        }
        var events = StripeUserEvents.For(user, stripeEvent);
        if (events.Count == 0)
        {
            return;
        }
        cancellationToken.ThrowIfCancellationRequested();
        await cluster.GetGrain<IUserGrain>(user).IngestAsync([.. events.Select(e => new UserEvent(e.MessageId, "track", e.Name, e.Timestamp, e.Json))]);
    }

    private static int Encoding(string s) => System.Text.Encoding.UTF8.GetByteCount(s);
}
