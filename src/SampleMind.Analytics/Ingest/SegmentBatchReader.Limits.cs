using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SampleMind.Analytics.Ingest;

/// <summary>
/// What one event may carry (README "Ingest limits"): anything past these is refused with a 400 naming the field and
/// the event's index, never acknowledged and then dropped or stored where PostgreSQL or the model cannot keep it.
/// </summary>
public static class IngestLimits
{
    /// <summary>userId, anonymousId, messageId, previousId, groupId: UTF-8 bytes.</summary>
    public const int MaxIdBytes = 255;

    /// <summary>A track event's name or a page/screen name: UTF-8 bytes.</summary>
    public const int MaxNameBytes = 200;

    /// <summary>A value that becomes an aggregate's key or a dashboard row (model, version, feature, plan, campaign, UTM…): UTF-8 bytes.</summary>
    public const int MaxDimensionBytes = 200;

    /// <summary>The largest money amount one event may carry (USD): far above any real payment, far inside the decimal range the model sums.</summary>
    public const decimal MaxAmount = 1_000_000_000m;

    /// <summary>The largest duration, processing time, cost or rating one event may carry.</summary>
    public const double MaxMeasure = 1e12;

    /// <summary>Properties whose values become aggregate keys.</summary>
    internal static readonly string[] DimensionProperties = ["model", "model_version", "feature", "plan", "analysis_type", "experiment_id", "variation_id"];

    /// <summary>Traits whose values become aggregate keys (acquisition campaign and source).</summary>
    internal static readonly string[] DimensionTraits = ["plan", "campaign", "campaign_id", "acquisition_source", "source"];

    /// <summary>context.campaign's UTM fields.</summary>
    internal static readonly string[] CampaignFields = ["name", "source", "medium", "term", "content"];

    /// <summary>Money: finite, 0 … <see cref="MaxAmount"/> (a refund is its own event, not a negative payment).</summary>
    internal static readonly string[] AmountProperties = ["amount", "revenue"];

    /// <summary>Non-negative measures, finite and at most <see cref="MaxMeasure"/>.</summary>
    internal static readonly string[] MeasureProperties = ["processing_time_ms", "cost_usd", "duration_seconds", "duration", "duration_ms", "rating"];

    /// <summary>Shares of 1.</summary>
    internal static readonly string[] ShareProperties = ["accuracy"];
}

public static partial class SegmentBatchReader
{
    /// <summary>Checks the limits of one event (ids, name, dimension values, numbers) into <paramref name="errors"/>.</summary>
    private static void CheckLimits(JsonElement item, string? name, JsonElement? properties, JsonElement? traits, JsonElement? context,
        string prefix, int index, ErrorCollector errors)
    {
        foreach (var id in (ReadOnlySpan<string>)["userId", "anonymousId", "messageId", "previousId", "groupId"])
        {
            if (item.TryGetProperty(id, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
            {
                CheckBytes(value, prefix + id, IngestLimits.MaxIdBytes, index, errors);
                CheckNoControlCharacters(value, prefix + id, index, errors);
            }
        }
        if (name is not null && Encoding.UTF8.GetByteCount(name) > IngestLimits.MaxNameBytes)
        {
            var field = item.TryGetProperty("event", out _) ? "event" : "name";
            errors.Add(prefix + field, $"is {Encoding.UTF8.GetByteCount(name)} bytes; the limit is {IngestLimits.MaxNameBytes}", index);
        }

        if (properties is { } p)
        {
            CheckDimensions(p, IngestLimits.DimensionProperties, prefix + "properties.", index, errors);
            foreach (var amount in IngestLimits.AmountProperties)
            {
                CheckNumber(p, amount, prefix + "properties.", 0, (double)IngestLimits.MaxAmount, index, errors);
            }
            foreach (var measure in IngestLimits.MeasureProperties)
            {
                CheckNumber(p, measure, prefix + "properties.", 0, IngestLimits.MaxMeasure, index, errors);
            }
            foreach (var share in IngestLimits.ShareProperties)
            {
                CheckNumber(p, share, prefix + "properties.", 0, 1, index, errors);
            }
        }
        if (traits is { } t)
        {
            CheckDimensions(t, IngestLimits.DimensionTraits, prefix + "traits.", index, errors);
        }
        if (context is { } c)
        {
            if (c.TryGetProperty("traits", out var contextTraits) && contextTraits.ValueKind == JsonValueKind.Object)
            {
                CheckDimensions(contextTraits, IngestLimits.DimensionTraits, prefix + "context.traits.", index, errors);
            }
            if (c.TryGetProperty("campaign", out var campaign) && campaign.ValueKind == JsonValueKind.Object)
            {
                CheckDimensions(campaign, IngestLimits.CampaignFields, prefix + "context.campaign.", index, errors);
            }
            if (c.TryGetProperty("device", out var device) && device.ValueKind == JsonValueKind.Object)
            {
                CheckDimensions(device, ["type", "model"], prefix + "context.device.", index, errors);
            }
        }
    }

    private static void CheckDimensions(JsonElement parent, ReadOnlySpan<string> names, string prefix, int index, ErrorCollector errors)
    {
        foreach (var name in names)
        {
            if (parent.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
            {
                CheckBytes(value, prefix + name, IngestLimits.MaxDimensionBytes, index, errors);
            }
        }
    }

    private static void CheckBytes(JsonElement value, string key, int limit, int index, ErrorCollector errors)
    {
        var bytes = value.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetByteCount(value.GetString()!) : value.GetRawText().Length;
        if (bytes > limit)
        {
            errors.Add(key, $"is {bytes} bytes; the limit is {limit}", index);
        }
    }

    /// <summary>
    /// An id names a grain and a row key: a control character (U+0000 above all, which a PostgreSQL text column cannot
    /// hold) would make the person's grain impossible to activate, so it is refused here rather than answered 503.
    /// </summary>
    private static void CheckNoControlCharacters(JsonElement value, string key, int index, ErrorCollector errors)
    {
        if (value.ValueKind == JsonValueKind.String && value.GetString()!.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') is >= 0 and var at)
        {
            errors.Add(key, string.Create(CultureInfo.InvariantCulture, $"contains the control character U+{(int)value.GetString()![at]:X4} at {at}; ids may not"), index);
        }
    }

    /// <summary>A known numeric property: a JSON number (or a numeric string, as some libraries send) within [min, max].</summary>
    private static void CheckNumber(JsonElement parent, string name, string prefix, double min, double max, int index, ErrorCollector errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        double number;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                number = value.GetDouble(); // a JSON number past double's range reads as ±Infinity
                break;
            case JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                number = parsed;
                break;
            default:
                errors.Add(prefix + name, "must be a number", index);
                return;
        }
        if (!double.IsFinite(number) || number < min || number > max)
        {
            errors.Add(prefix + name, string.Create(CultureInfo.InvariantCulture, $"must be a finite number from {min:G} to {max:G}"), index);
        }
    }
}
