using System.Text.Json;

namespace SampleMind.Analytics.Quality;

/// <summary>
/// The source of an event for data quality: its <c>context.library.name</c> (what a Segment or RudderStack SDK writes),
/// else <see cref="Unknown"/>. The SQL side reads the same field of the stored event the same way
/// (<see cref="SqlExpression"/>), so ingest's counts and the log's figures meet on one key.
/// </summary>
public static class IngestSource
{
    /// <summary>The source of an event without a library name, and of a body that could not be read.</summary>
    public const string Unknown = "unknown";

    /// <summary>Longer names are cut: a client cannot grow the counters' keys without bound.</summary>
    public const int MaxLength = 64;

    /// <summary>The source of a stored event in SQL over <c>user_events e</c>; equal to <see cref="Of(JsonElement?, JsonElement?)"/>.</summary>
    public const string SqlExpression =
        "CASE WHEN jsonb_typeof(e.payload->'context'->'library'->'name') = 'string' "
        + "AND e.payload->'context'->'library'->>'name' <> '' "
        + "THEN left(e.payload->'context'->'library'->>'name', 64) ELSE 'unknown' END";

    /// <summary>
    /// The library name of an event whose own <paramref name="context"/> is merged over the batch's (Segment's rule: the
    /// item's own values win, nested objects merge key by key).
    /// </summary>
    public static string Of(JsonElement? context, JsonElement? batchContext) =>
        NameIn(context) ?? NameIn(batchContext) ?? Unknown;

    /// <summary>A name as the counters key it: empty is <see cref="Unknown"/>, a long one is cut.</summary>
    public static string Normalise(string? name) =>
        string.IsNullOrEmpty(name) ? Unknown : name.Length > MaxLength ? name[..MaxLength] : name;

    private static string? NameIn(JsonElement? context)
    {
        if (context is not { ValueKind: JsonValueKind.Object } c || !c.TryGetProperty("library", out var library))
        {
            return null;
        }
        // The event's own value wins over the batch's, objects merge key by key (as in the stored event): a library that
        // is not an object, or a name that is not a string or is empty, is no name and hides the batch's.
        if (library.ValueKind != JsonValueKind.Object)
        {
            return Unknown;
        }
        if (!library.TryGetProperty("name", out var name))
        {
            return null;
        }
        return name.ValueKind == JsonValueKind.String ? Normalise(name.GetString()) : Unknown;
    }
}
