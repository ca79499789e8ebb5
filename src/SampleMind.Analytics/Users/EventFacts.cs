using System.Globalization;
using System.Text.Json;
using SampleMind.Analytics.Revenue;

namespace SampleMind.Analytics.Users;

/// <summary>
/// What the user model needs from one Segment-spec event, read from the event's JSON as stored in the
/// user event log. The same reader serves live ingest and replay, so both apply identical facts.
/// </summary>
public sealed record class EventFacts
{
    public required string MessageId { get; init; }
    public required string Type { get; init; }
    public string? Name { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    public string? Plan { get; init; }
    public decimal? Amount { get; init; }
    public string? Feature { get; init; }
    public string? Model { get; init; }
    public string? ModelVersion { get; init; }
    public string? AnalysisType { get; init; }
    public decimal? ProcessingTimeMs { get; init; }
    public decimal? Accuracy { get; init; }
    public bool? Error { get; init; }
    public decimal? CostUsd { get; init; }
    public double? Rating { get; init; }
    public bool? Correct { get; init; }
    public double? DurationSeconds { get; init; }
    public string? ExperimentId { get; init; }
    public string? VariationId { get; init; }

    /// <summary>A payment or refund that Stripe reported (<c>properties.source = "stripe"</c>, the webhook applier's events).</summary>
    public bool FromStripe { get; init; }
    /// <summary>A refund's charge (<c>payment_refunded</c>: <see cref="Amount"/> is the charge's amount refunded so far).</summary>
    public string? ChargeId { get; init; }
    /// <summary>A Stripe subscription as one webhook showed it (<c>stripe_subscription</c> events).</summary>
    public SubscriptionObservation? StripeSubscription { get; init; }

    public IReadOnlyDictionary<string, string> Traits { get; init; } = EmptyTraits;
    public DateTimeOffset? CreatedAt { get; init; }
    public string? Email { get; init; }
    public string? Source { get; init; }
    public string? Campaign { get; init; }
    public string? UtmSource { get; init; }
    public string? UtmMedium { get; init; }
    public string? UtmCampaign { get; init; }
    public string? Device { get; init; }

    /// <summary>
    /// The key this event merges into its person (identity resolution): an identify's <c>anonymousId</c> when it also
    /// carries a different <c>userId</c>, an alias's <c>previousId</c>; otherwise <c>null</c>.
    /// </summary>
    public string? MergeFrom { get; init; }

    private static readonly IReadOnlyDictionary<string, string> EmptyTraits = new Dictionary<string, string>();

    /// <summary>Reads the facts of one event from its JSON (the normalised form the ingest path stores).</summary>
    public static EventFacts Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var type = GetString(root, "type") ?? "track";
        var timestamp = GetDate(root, "timestamp") ?? throw new FormatException("event has no timestamp");
        var properties = GetObject(root, "properties");
        var traitsElement = GetObject(root, "traits") ?? GetObject(GetObject(root, "context"), "traits");
        var context = GetObject(root, "context");
        var campaign = GetObject(context, "campaign");
        var device = GetObject(context, "device");

        Dictionary<string, string>? traits = null;
        if (traitsElement is { } t && type is "identify" or "group")
        {
            traits = [];
            foreach (var property in t.EnumerateObject())
            {
                if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                {
                    continue;
                }
                traits[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? property.Value.GetString()!
                    : property.Value.GetRawText();
            }
        }

        var durationSeconds = GetDouble(properties, "duration_seconds") ?? GetDouble(properties, "duration");
        if (durationSeconds is null && GetDouble(properties, "duration_ms") is { } durationMs)
        {
            durationSeconds = durationMs / 1000.0;
        }

        var name = GetString(root, "event");
        var fromStripe = GetString(properties, "source") == "stripe";
        return new EventFacts
        {
            MessageId = GetString(root, "messageId") ?? throw new FormatException("event has no messageId"),
            Type = type,
            Name = name,
            Timestamp = timestamp,
            Plan = GetString(properties, "plan") ?? (type == "identify" ? GetString(traitsElement, "plan") : null),
            Amount = GetDecimal(properties, "amount") ?? GetDecimal(properties, "revenue"),
            Feature = GetString(properties, "feature"),
            Model = GetString(properties, "model"),
            ModelVersion = GetString(properties, "model_version"),
            AnalysisType = GetString(properties, "analysis_type"),
            ProcessingTimeMs = GetDecimal(properties, "processing_time_ms"),
            Accuracy = GetDecimal(properties, "accuracy"),
            Error = GetBool(properties, "error"),
            CostUsd = GetDecimal(properties, "cost_usd"),
            Rating = GetDouble(properties, "rating"),
            Correct = GetBool(properties, "correct"),
            DurationSeconds = durationSeconds,
            ExperimentId = GetString(properties, "experiment_id"),
            VariationId = GetString(properties, "variation_id"),
            FromStripe = fromStripe,
            ChargeId = name == EventNames.PaymentRefunded ? GetString(properties, "charge_id") : null,
            StripeSubscription = name == EventNames.StripeSubscription && type == "track" ? Subscription(properties, timestamp, root) : null,
            Traits = traits ?? EmptyTraits,
            CreatedAt = type == "identify" ? GetDate(traitsElement, "created_at") ?? GetDate(traitsElement, "createdAt") : null,
            Email = type == "identify" ? GetString(traitsElement, "email") : null,
            Source = GetString(traitsElement, "acquisition_source") ?? GetString(traitsElement, "source") ?? GetString(campaign, "source"),
            Campaign = GetString(traitsElement, "campaign") ?? GetString(traitsElement, "campaign_id") ?? GetString(campaign, "name"),
            UtmSource = GetString(campaign, "source"),
            UtmMedium = GetString(campaign, "medium"),
            UtmCampaign = GetString(campaign, "name"),
            Device = GetString(device, "type") ?? GetString(device, "model"),
            MergeFrom = MergeSource(root, type),
        };
    }

    private static string? MergeSource(JsonElement root, string type)
    {
        var userId = GetString(root, "userId");
        var from = type switch
        {
            "identify" when userId is not null => GetString(root, "anonymousId"),
            "alias" => GetString(root, "previousId"),
            _ => null,
        };
        return from is not null && from != (userId ?? GetString(root, "anonymousId")) ? from : null;
    }

    private static SubscriptionObservation? Subscription(JsonElement? p, DateTimeOffset at, JsonElement root)
        => GetString(p, "subscription_id") is not { } id ? null : new SubscriptionObservation(
            id,
            at.UtcTicks,
            (int)(GetDecimal(p, "stripe_rank") ?? 1),
            GetString(p, "stripe_event_id") ?? GetString(root, "messageId") ?? "",
            GetString(p, "status") ?? "active",
            GetDecimal(p, "mrr") ?? 0m,
            GetString(p, "plan"),
            GetString(p, "price_id"),
            (long)(GetDecimal(p, "quantity") ?? 0),
            GetString(p, "interval"),
            GetBool(p, "cancel_at_period_end") ?? false,
            GetString(p, "coupon"),
            GetString(p, "currency"));

    private static JsonElement? GetObject(JsonElement? parent, string name)
        => parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string? GetString(JsonElement? parent, string name)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(name, out var v))
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };
    }

    private static double? GetDouble(JsonElement? parent, string name)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(name, out var v))
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.Number => v.GetDouble(),
            JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }

    private static decimal? GetDecimal(JsonElement? parent, string name)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(name, out var v))
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetDecimal(out var d) => d,
            JsonValueKind.String when decimal.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }

    private static bool? GetBool(JsonElement? parent, string name)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(name, out var v))
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => bool.TryParse(v.GetString(), out var b) ? b : null,
            JsonValueKind.Number => v.GetDouble() != 0,
            _ => null,
        };
    }

    private static DateTimeOffset? GetDate(JsonElement? parent, string name)
    {
        var s = GetString(parent, name);
        return s is not null && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            ? d.ToUniversalTime()
            : null;
    }
}
