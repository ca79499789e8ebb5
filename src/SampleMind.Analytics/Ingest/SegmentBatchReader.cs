using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace SampleMind.Analytics.Ingest;

/// <summary>
/// Parses and validates bodies of the Segment HTTP Tracking API (<c>/v1/batch</c> and the six single-event
/// endpoints) into normalised events. Pure: no I/O, the receive time is passed in. A body with any invalid
/// event is refused whole, and the result names every bad index and why.
/// </summary>
public static partial class SegmentBatchReader
{
    /// <summary>Segment's limit for one event, in bytes of its JSON as sent.</summary>
    public const int MaxEventBytes = 32 * 1024;

    /// <summary>Segment's limit for one request body, in bytes.</summary>
    public const int MaxBatchBytes = 500 * 1024;

    /// <summary>The deepest nesting of objects and arrays accepted (the root object is level 1).</summary>
    public const int MaxDepth = 32;

    /// <summary>How far in the future a resolved timestamp may lie.</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromHours(24);

    /// <summary>The event types of the Segment spec, in the spec's order.</summary>
    public static IReadOnlyList<string> EventTypes { get; } = ["track", "identify", "page", "screen", "group", "alias"];

    private static readonly string EventTypeList = string.Join(", ", EventTypes);

    // Written into the normalised event by the reader itself; copied from the input only through these rules.
    private static readonly HashSet<string> ReservedFields = new(StringComparer.Ordinal)
    {
        "type", "messageId", "userId", "anonymousId", "properties", "traits", "context",
        "timestamp", "originalTimestamp", "sentAt", "receivedAt", "writeKey",
    };

    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-dd",
    ];

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The output is stored, never embedded in HTML: keep non-ASCII text as it came.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Maps a path segment (<c>batch</c>, <c>track</c>, …) to its endpoint; false for anything else.</summary>
    public static bool TryParseEndpoint(string pathSegment, out SegmentEndpoint endpoint)
    {
        endpoint = pathSegment switch
        {
            "batch" => SegmentEndpoint.Batch,
            "track" => SegmentEndpoint.Track,
            "identify" => SegmentEndpoint.Identify,
            "page" => SegmentEndpoint.Page,
            "screen" => SegmentEndpoint.Screen,
            "group" => SegmentEndpoint.Group,
            "alias" => SegmentEndpoint.Alias,
            _ => (SegmentEndpoint)(-1),
        };
        return Enum.IsDefined(endpoint);
    }

    /// <summary>The event type a single-event endpoint implies; <c>null</c> for <see cref="SegmentEndpoint.Batch"/>.</summary>
    public static string? ImpliedType(SegmentEndpoint endpoint) => endpoint switch
    {
        SegmentEndpoint.Track => "track",
        SegmentEndpoint.Identify => "identify",
        SegmentEndpoint.Page => "page",
        SegmentEndpoint.Screen => "screen",
        SegmentEndpoint.Group => "group",
        SegmentEndpoint.Alias => "alias",
        _ => null,
    };

    /// <summary>
    /// Reads one request body.
    /// </summary>
    /// <param name="body">The request body as received (UTF-8; a leading BOM is ignored).</param>
    /// <param name="endpoint">The endpoint it was posted to; single-event endpoints imply the type.</param>
    /// <param name="receivedAt">The server's receive time: default timestamp, skew reference and future limit.</param>
    public static SegmentReadResult Read(ReadOnlySpan<byte> body, SegmentEndpoint endpoint, DateTimeOffset receivedAt)
    {
        receivedAt = receivedAt.ToUniversalTime();
        if (body.Length > MaxBatchBytes)
        {
            return BodyFailure(SegmentBodyProblem.TooLarge, $"is {body.Length} bytes; the limit is {MaxBatchBytes} bytes");
        }

        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        if (!Utf8.IsValid(body))
        {
            return BodyFailure(SegmentBodyProblem.InvalidUtf8, "is not valid UTF-8");
        }

        var shape = CheckJsonShape(body);
        if (shape is not null)
        {
            return shape;
        }

        // Shape and depth were checked above, so this parse cannot fail.
        using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
        var root = document.RootElement;
        var errors = new ErrorCollector();

        if (endpoint == SegmentEndpoint.Batch)
        {
            return ReadBatch(root, receivedAt, errors);
        }

        var impliedType = ImpliedType(endpoint) ?? throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return BodyFailure(SegmentBodyProblem.NotABatch, "must be a JSON object (one Segment event)");
        }

        var single = ReadEvent(root, index: 0, prefix: "", wholeKey: "body", impliedType, batchContext: null, batchSentAt: null, receivedAt, errors);
        return Finish(single is null ? [] : [single], errors);
    }

    private static SegmentReadResult ReadBatch(JsonElement root, DateTimeOffset receivedAt, ErrorCollector errors)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("batch", out var batch)
            || batch.ValueKind != JsonValueKind.Array)
        {
            return BodyFailure(SegmentBodyProblem.NotABatch, "must be a JSON object with a \"batch\" array");
        }

        JsonElement? batchContext = null;
        if (root.TryGetProperty("context", out var context) && context.ValueKind != JsonValueKind.Null)
        {
            if (context.ValueKind == JsonValueKind.Object)
            {
                batchContext = context;
            }
            else
            {
                errors.Add("context", "must be an object");
            }
        }

        var batchSentAt = ReadOptionalTimestamp(root, "sentAt", "sentAt", errors);

        var events = new List<SegmentEvent>(batch.GetArrayLength());
        var index = 0;
        foreach (var item in batch.EnumerateArray())
        {
            var prefix = $"batch[{index}].";
            var wholeKey = $"batch[{index}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add(wholeKey, "must be a JSON object (one Segment event)", index);
            }
            else
            {
                var e = ReadEvent(item, index, prefix, wholeKey, impliedType: null, batchContext, batchSentAt, receivedAt, errors);
                if (e is not null)
                {
                    events.Add(e);
                }
            }

            index++;
        }

        return Finish(events, errors);
    }

    private static SegmentEvent? ReadEvent(
        JsonElement item,
        int index,
        string prefix,
        string wholeKey,
        string? impliedType,
        JsonElement? batchContext,
        DateTimeOffset? batchSentAt,
        DateTimeOffset receivedAt,
        ErrorCollector errors)
    {
        var before = errors.Count;

        var size = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(item).Length;
        if (size > MaxEventBytes)
        {
            errors.Add(wholeKey, $"is {size} bytes; the limit is {MaxEventBytes} bytes", index);
        }

        var type = impliedType;
        if (type is null)
        {
            var rawType = ReadString(item, "type", prefix, index, errors);
            if (string.IsNullOrWhiteSpace(rawType))
            {
                if (!errors.Has(prefix + "type"))
                {
                    errors.Add(prefix + "type", "is required", index);
                }
            }
            else if (!EventTypes.Contains(rawType))
            {
                errors.Add(prefix + "type", $"'{Truncate(rawType)}' is not one of {EventTypeList}", index);
            }
            else
            {
                type = rawType;
            }
        }

        var messageId = ReadString(item, "messageId", prefix, index, errors);
        if (string.IsNullOrWhiteSpace(messageId) && !errors.Has(prefix + "messageId"))
        {
            errors.Add(prefix + "messageId", "is required", index);
        }

        var userId = ReadId(item, "userId", prefix, index, errors);
        var anonymousId = ReadId(item, "anonymousId", prefix, index, errors);
        if (userId is null && anonymousId is null && !errors.Has(prefix + "userId") && !errors.Has(prefix + "anonymousId"))
        {
            errors.Add(prefix + "userId", "userId or anonymousId is required", index);
        }

        string? name = null;
        switch (type)
        {
            case "track":
                name = ReadString(item, "event", prefix, index, errors);
                if (string.IsNullOrWhiteSpace(name) && !errors.Has(prefix + "event"))
                {
                    errors.Add(prefix + "event", "is required for track", index);
                }

                break;
            case "page" or "screen":
                name = ReadString(item, "name", prefix, index, errors);
                break;
            case "group":
                RequireId(item, "groupId", "group", prefix, index, errors);
                break;
            case "alias":
                RequireId(item, "previousId", "alias", prefix, index, errors);
                break;
        }

        var properties = ReadObject(item, "properties", prefix, index, errors);
        var traits = ReadObject(item, "traits", prefix, index, errors);
        var context = ReadObject(item, "context", prefix, index, errors);

        // Segment libraries send "timestamp"; RudderStack's send "originalTimestamp" (and "timestamp" only when
        // the caller set one). Either is the client's clock reading of when the event happened.
        var clientTimestamp = ReadOptionalTimestamp(item, "timestamp", prefix + "timestamp", errors, index)
            ?? ReadOptionalTimestamp(item, "originalTimestamp", prefix + "originalTimestamp", errors, index);
        var sentAt = ReadOptionalTimestamp(item, "sentAt", prefix + "sentAt", errors, index) ?? batchSentAt;

        // Segment: timestamp = receivedAt − (sentAt − originalTimestamp), i.e. the client's timestamp shifted by
        // the client's clock skew; without sentAt the client's timestamp is taken as is; without one, receivedAt.
        var timestamp = receivedAt;
        if (clientTimestamp is not null)
        {
            timestamp = clientTimestamp.Value;
            if (sentAt is not null && !TryCorrectSkew(clientTimestamp.Value, sentAt.Value, receivedAt, out timestamp))
            {
                errors.Add(prefix + "sentAt", "puts the corrected timestamp out of range", index);
            }
        }

        if (timestamp - receivedAt > MaxFutureSkew)
        {
            var field = item.TryGetProperty("timestamp", out _) ? "timestamp" : "originalTimestamp";
            errors.Add(prefix + field, $"is more than {MaxFutureSkew.TotalHours:0} hours in the future", index);
        }

        CheckLimits(item, name, properties, traits, context, prefix, index, errors);

        if (errors.Count != before || type is null || messageId is null || (userId ?? anonymousId) is null)
        {
            return null;
        }

        var json = Normalise(item, type, messageId, userId, anonymousId, properties, traits, context, batchContext,
            clientTimestamp, sentAt, timestamp, receivedAt);
        return new SegmentEvent(index, (userId ?? anonymousId)!, type, name, timestamp, messageId, json)
        {
            Source = Quality.IngestSource.Of(context, batchContext),
        };
    }

    private static void RequireId(JsonElement item, string name, string type, string prefix, int index, ErrorCollector errors)
    {
        if (ReadId(item, name, prefix, index, errors) is null && !errors.Has(prefix + name))
        {
            errors.Add(prefix + name, $"is required for {type}", index);
        }
    }

    private static string Normalise(
        JsonElement item,
        string type,
        string messageId,
        string? userId,
        string? anonymousId,
        JsonElement? properties,
        JsonElement? traits,
        JsonElement? context,
        JsonElement? batchContext,
        DateTimeOffset? clientTimestamp,
        DateTimeOffset? sentAt,
        DateTimeOffset timestamp,
        DateTimeOffset receivedAt)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("messageId", messageId);
            if (userId is not null)
            {
                writer.WriteString("userId", userId);
            }

            if (anonymousId is not null)
            {
                writer.WriteString("anonymousId", anonymousId);
            }

            foreach (var property in LastOccurrences(item))
            {
                if (!ReservedFields.Contains(property.Name))
                {
                    property.WriteTo(writer);
                }
            }

            WriteObjectOrEmpty(writer, "properties", properties);
            WriteObjectOrEmpty(writer, "traits", traits);
            writer.WritePropertyName("context");
            WriteMerged(writer, context, batchContext);
            if (clientTimestamp is not null)
            {
                writer.WriteString("originalTimestamp", Format(clientTimestamp.Value));
            }

            if (sentAt is not null)
            {
                writer.WriteString("sentAt", Format(sentAt.Value));
            }

            writer.WriteString("timestamp", Format(timestamp));
            writer.WriteString("receivedAt", Format(receivedAt));
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Formats a timestamp the way the normalised JSON carries it: ISO-8601 UTC with 7 fraction digits.</summary>
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses an ISO-8601 date-time (a missing offset means UTC) to UTC; false for anything else.</summary>
    public static bool TryParseTimestamp(string? text, out DateTimeOffset value)
    {
        if (!string.IsNullOrWhiteSpace(text)
            && DateTimeOffset.TryParseExact(text.Trim(), IsoFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    // Segment merges the batch's context into each item's; the item's own values win, nested objects merge key by key.
    private static void WriteMerged(Utf8JsonWriter writer, JsonElement? own, JsonElement? inherited)
    {
        if (own is null && inherited is null)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }

        if (own is null || inherited is null)
        {
            WriteObjectDeduplicated(writer, (own ?? inherited)!.Value);
            return;
        }

        var ownFields = LastOccurrences(own.Value).ToDictionary(p => p.Name, StringComparer.Ordinal);
        writer.WriteStartObject();
        foreach (var field in LastOccurrences(inherited.Value))
        {
            if (!ownFields.TryGetValue(field.Name, out var mine))
            {
                field.WriteTo(writer);
            }
            else if (mine.Value.ValueKind == JsonValueKind.Object && field.Value.ValueKind == JsonValueKind.Object)
            {
                writer.WritePropertyName(field.Name);
                WriteMerged(writer, mine.Value, field.Value);
                ownFields.Remove(field.Name);
            }
        }

        foreach (var field in LastOccurrences(own.Value))
        {
            if (ownFields.ContainsKey(field.Name))
            {
                field.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteObjectOrEmpty(Utf8JsonWriter writer, string name, JsonElement? value)
    {
        writer.WritePropertyName(name);
        if (value is null)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        else
        {
            WriteObjectDeduplicated(writer, value.Value);
        }
    }

    private static void WriteObjectDeduplicated(Utf8JsonWriter writer, JsonElement value)
    {
        writer.WriteStartObject();
        foreach (var field in LastOccurrences(value))
        {
            field.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    // JSON allows repeated names; like JsonElement.GetProperty (and JavaScript), the last one wins, at its first position.
    private static List<JsonProperty> LastOccurrences(JsonElement obj)
    {
        var properties = new List<JsonProperty>();
        var names = new List<string>();
        foreach (var property in obj.EnumerateObject())
        {
            properties.Add(property);
            names.Add(property.Name);
        }

        if (!HasDuplicates(names))
        {
            return properties; // the usual case: no dictionary, every name read once
        }

        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            last[names[i]] = i;
        }

        var result = new List<JsonProperty>(last.Count);
        for (var i = 0; i < names.Count; i++)
        {
            if (last[names[i]] is var winner and >= 0)
            {
                result.Add(properties[winner]);
                last[names[i]] = -1;
            }
        }

        return result;
    }

    private static bool HasDuplicates(List<string> names)
    {
        if (names.Count > 8)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            return names.Any(name => !seen.Add(name));
        }

        for (var i = 1; i < names.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(names[i], names[j], StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string? ReadString(JsonElement item, string name, string prefix, int index, ErrorCollector errors)
    {
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(prefix + name, "must be a string", index);
            return null;
        }

        return value.GetString();
    }

    // Ids may arrive as numbers from some libraries; they are normalised to strings. Blank means absent.
    private static string? ReadId(JsonElement item, string name, string prefix, int index, ErrorCollector errors)
    {
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (text is null)
        {
            errors.Add(prefix + name, "must be a string", index);
            return null;
        }

        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    private static JsonElement? ReadObject(JsonElement item, string name, string prefix, int index, ErrorCollector errors)
    {
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(prefix + name, "must be an object", index);
            return null;
        }

        return value;
    }

    private static DateTimeOffset? ReadOptionalTimestamp(JsonElement item, string name, string key, ErrorCollector errors, int? index = null)
    {
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && TryParseTimestamp(value.GetString(), out var parsed))
        {
            return parsed;
        }

        var shown = value.ValueKind == JsonValueKind.String ? $"'{Truncate(value.GetString()!)}'" : value.ValueKind.ToString().ToLowerInvariant();
        errors.Add(key, $"{shown} is not an ISO-8601 timestamp", index);
        return null;
    }

    private static bool TryCorrectSkew(DateTimeOffset client, DateTimeOffset sentAt, DateTimeOffset receivedAt, out DateTimeOffset corrected)
    {
        var ticks = (Int128)receivedAt.UtcTicks - ((Int128)sentAt.UtcTicks - client.UtcTicks);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            corrected = receivedAt;
            return false;
        }

        corrected = new DateTimeOffset((long)ticks, TimeSpan.Zero);
        return true;
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    // One forward pass with Utf8JsonReader: is it JSON at all, and is it within the depth limit? Checked here so
    // the two problems are told apart and no DOM is built for a hostile body.
    private static SegmentReadResult? CheckJsonShape(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is (JsonTokenType.StartObject or JsonTokenType.StartArray) && reader.CurrentDepth + 1 > MaxDepth)
                {
                    return BodyFailure(SegmentBodyProblem.TooDeep, $"nests deeper than {MaxDepth} levels");
                }
            }

            if (reader.BytesConsumed == 0)
            {
                return BodyFailure(SegmentBodyProblem.NotJson, "is empty; expected JSON");
            }
        }
        catch (JsonException ex)
        {
            return BodyFailure(SegmentBodyProblem.NotJson,
                $"is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }

        return null;
    }

    private static SegmentReadResult BodyFailure(SegmentBodyProblem problem, string message) =>
        new(problem, [], new Dictionary<string, string[]> { ["body"] = [message] }, []);

    private static SegmentReadResult Finish(IReadOnlyList<SegmentEvent> events, ErrorCollector errors) =>
        errors.Count == 0
            ? new SegmentReadResult(SegmentBodyProblem.None, events, null, [])
            : new SegmentReadResult(SegmentBodyProblem.InvalidEvents, [], errors.ToDictionary(), errors.Indexes());

    private sealed class ErrorCollector
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
        private readonly SortedSet<int> _indexes = [];

        public int Count { get; private set; }

        public bool Has(string key) => _errors.ContainsKey(key);

        public void Add(string key, string message, int? index = null)
        {
            if (!_errors.TryGetValue(key, out var list))
            {
                list = [];
                _errors.Add(key, list);
            }

            list.Add(message);
            Count++;
            if (index is not null)
            {
                _indexes.Add(index.Value);
            }
        }

        public Dictionary<string, string[]> ToDictionary() =>
            _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

        public int[] Indexes() => [.. _indexes];
    }
}
