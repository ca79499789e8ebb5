using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

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

    public IReadOnlyDictionary<string, string> Traits { get; init; } = EmptyTraits;
    public DateTimeOffset? CreatedAt { get; init; }
    public string? Email { get; init; }
    public string? Source { get; init; }
    public string? Campaign { get; init; }
    public string? UtmSource { get; init; }
    public string? UtmMedium { get; init; }
    public string? UtmCampaign { get; init; }
    public string? Device { get; init; }

    private static readonly IReadOnlyDictionary<string, string> EmptyTraits = new Dictionary<string, string>();

    /// <summary>
    /// Reads the facts of one event from its JSON (the normalised form the ingest path stores) in one forward pass: no
    /// document is built and each property is looked at once. Values follow <see cref="JsonElement"/>'s rules (a repeated
    /// name: the last one counts).
    /// </summary>
    public static EventFacts Parse(string json)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, buffer);
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("an event is a JSON object");
            }
            var facts = Read(ref reader);
            if (reader.Read())
            {
                throw new FormatException("event JSON goes on after its object");
            }
            return facts;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static EventFacts Read(ref Utf8JsonReader reader)
    {
        Scalar type = default, name = default, messageId = default, timestamp = default;
        Fields? properties = null, rootTraits = null, context = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = RootNames.Find(ref reader);
            reader.Read();
            switch (property)
            {
                case 0: type = Scalar.Read(ref reader); break;
                case 1: name = Scalar.Read(ref reader); break;
                case 2: messageId = Scalar.Read(ref reader); break;
                case 3: timestamp = Scalar.Read(ref reader); break;
                case 4: properties = Fields.Read(ref reader, PropertyNames, nested: null, nestedWanted: null); break;
                case 5: rootTraits = Fields.Read(ref reader, wanted: null, nested: null, nestedWanted: null); break;
                case 6: context = Fields.Read(ref reader, NoNames, ContextObjects, ContextWanted); break;
                default: reader.Skip(); break;
            }
        }

        var eventType = type.String ?? "track";
        var traits = rootTraits ?? context?.Object(0);
        var campaign = context?.Object(1);
        var device = context?.Object(2);
        var identify = eventType == "identify";

        var durationSeconds = properties?.Get("duration_seconds").AsDouble ?? properties?.Get("duration").AsDouble;
        if (durationSeconds is null && properties?.Get("duration_ms").AsDouble is { } durationMs)
        {
            durationSeconds = durationMs / 1000.0;
        }

        return new EventFacts
        {
            MessageId = messageId.String ?? throw new FormatException("event has no messageId"),
            Type = eventType,
            Name = name.String,
            Timestamp = ToDate(timestamp.String) ?? throw new FormatException("event has no timestamp"),
            Plan = properties?.Get("plan").String ?? (identify ? traits?.Get("plan").String : null),
            Amount = properties?.Get("amount").AsDecimal ?? properties?.Get("revenue").AsDecimal,
            Feature = properties?.Get("feature").String,
            Model = properties?.Get("model").String,
            ModelVersion = properties?.Get("model_version").String,
            AnalysisType = properties?.Get("analysis_type").String,
            ProcessingTimeMs = properties?.Get("processing_time_ms").AsDecimal,
            Accuracy = properties?.Get("accuracy").AsDecimal,
            Error = properties?.Get("error").AsBool,
            CostUsd = properties?.Get("cost_usd").AsDecimal,
            Rating = properties?.Get("rating").AsDouble,
            Correct = properties?.Get("correct").AsBool,
            DurationSeconds = durationSeconds,
            Traits = traits is not null && eventType is "identify" or "group" ? traits.ToTraits() : EmptyTraits,
            CreatedAt = identify ? ToDate(traits?.Get("created_at").String) ?? ToDate(traits?.Get("createdAt").String) : null,
            Email = identify ? traits?.Get("email").String : null,
            Source = traits?.Get("acquisition_source").String ?? traits?.Get("source").String ?? campaign?.Get("source").String,
            Campaign = traits?.Get("campaign").String ?? traits?.Get("campaign_id").String ?? campaign?.Get("name").String,
            UtmSource = campaign?.Get("source").String,
            UtmMedium = campaign?.Get("medium").String,
            UtmCampaign = campaign?.Get("name").String,
            Device = device?.Get("type").String ?? device?.Get("model").String,
        };
    }

    private static DateTimeOffset? ToDate(string? s)
        => s is not null && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            ? d.ToUniversalTime()
            : null;

    /// <summary>A scalar property value as the reader met it: a string, a number (its JSON text), true, false or null.</summary>
    private readonly record struct Scalar(JsonTokenType Kind, string? Text)
    {
        /// <summary>Reads the value at the reader (skipping an object or array: those are not scalars).</summary>
        public static Scalar Read(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return new(JsonTokenType.String, reader.GetString());
                case JsonTokenType.Number:
                    return new(JsonTokenType.Number, Encoding.UTF8.GetString(reader.ValueSpan));
                case JsonTokenType.True:
                    return new(JsonTokenType.True, "true");
                case JsonTokenType.False:
                    return new(JsonTokenType.False, "false");
                case JsonTokenType.Null:
                    return new(JsonTokenType.Null, "null");
                default:
                    reader.Skip();
                    return default;
            }
        }

        /// <summary>A non-empty string, or a number's text.</summary>
        public string? String => Kind switch
        {
            JsonTokenType.String => Text is { Length: > 0 } ? Text : null,
            JsonTokenType.Number => Text,
            _ => null,
        };

        /// <summary>A number (as <see cref="JsonElement.GetDouble"/> reads it: a number it cannot read throws) or a number in a string.</summary>
        public double? AsDouble => Kind switch
        {
            JsonTokenType.Number => TryParseNumber(Text!, out double d) ? d : throw new FormatException($"the number {Text} is not a double"),
            JsonTokenType.String when double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };

        /// <summary>A number (null when <see cref="JsonElement.TryGetDecimal"/> could not read it) or a number in a string.</summary>
        public decimal? AsDecimal => Kind switch
        {
            JsonTokenType.Number => TryParseNumber(Text!, out decimal d) ? d : null,
            JsonTokenType.String when decimal.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };

        public bool? AsBool => Kind switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.String => bool.TryParse(Text, out var b) ? b : null,
            JsonTokenType.Number => AsDouble != 0,
            _ => null,
        };

        // The JSON number's own bytes through the parser JsonElement uses, whole or not at all.
        private static bool TryParseNumber(string text, out double value)
        {
            Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
            var length = Encoding.UTF8.GetBytes(text, utf8);
            return Utf8Parser.TryParse(utf8[..length], out value, out var consumed) && consumed == length;
        }

        private static bool TryParseNumber(string text, out decimal value)
        {
            Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
            var length = Encoding.UTF8.GetBytes(text, utf8);
            return Utf8Parser.TryParse(utf8[..length], out value, out var consumed) && consumed == length;
        }
    }

    /// <summary>Property names matched on the reader's UTF-8 bytes: no string per property read.</summary>
    private sealed class Names(params string[] names)
    {
        private readonly byte[][] _utf8 = [.. names.Select(Encoding.UTF8.GetBytes)];

        public int Count => names.Length;

        /// <summary>The index of the property name at the reader, or -1.</summary>
        public int Find(ref Utf8JsonReader reader)
        {
            for (var i = 0; i < _utf8.Length; i++)
            {
                if (reader.ValueTextEquals(_utf8[i]))
                {
                    return i;
                }
            }
            return -1;
        }

        public int IndexOf(string name) => Array.IndexOf(names, name);
    }

    private static readonly Names RootNames = new("type", "event", "messageId", "timestamp", "properties", "traits", "context");
    private static readonly Names PropertyNames = new(
        "plan", "amount", "revenue", "feature", "model", "model_version", "analysis_type", "processing_time_ms", "accuracy",
        "error", "cost_usd", "rating", "correct", "duration_seconds", "duration", "duration_ms");
    private static readonly Names ContextObjects = new("traits", "campaign", "device");
    private static readonly Names?[] ContextWanted = [null, new("source", "medium", "name"), new("type", "model")];
    private static readonly Names NoNames = new();

    /// <summary>
    /// One JSON object's scalar properties: those of the names asked for (the last of a repeated name), or every one in
    /// order when no names are given (identify traits); and, for the names asked for, its nested objects.
    /// </summary>
    private sealed class Fields
    {
        private readonly Names? _wanted;
        private readonly Scalar[]? _values;
        private readonly List<(string Name, Scalar Value)>? _all;
        private Fields?[]? _objects;

        private Fields(Names? wanted)
        {
            _wanted = wanted;
            if (wanted is null)
            {
                _all = [];
            }
            else
            {
                _values = new Scalar[wanted.Count];
            }
        }

        /// <summary>
        /// Reads the object at the reader (null, and skipped, when the value is not an object): the scalars named in
        /// <paramref name="wanted"/> (every one when null) and the objects named in <paramref name="nested"/> (each read
        /// with the names at the same index of <paramref name="nestedWanted"/>).
        /// </summary>
        public static Fields? Read(ref Utf8JsonReader reader, Names? wanted, Names? nested, Names?[]? nestedWanted)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return null;
            }
            var fields = new Fields(wanted);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var inner = nested?.Find(ref reader) ?? -1;
                var index = inner < 0 && wanted is not null ? wanted.Find(ref reader) : -1;
                var name = inner < 0 && wanted is null ? reader.GetString() : null;
                reader.Read();
                if (inner >= 0)
                {
                    (fields._objects ??= new Fields?[nested!.Count])[inner] = Read(ref reader, nestedWanted![inner], nested: null, nestedWanted: null);
                }
                else if (index >= 0)
                {
                    fields._values![index] = Scalar.Read(ref reader);
                }
                else if (name is not null)
                {
                    fields._all!.Add((name, Scalar.Read(ref reader)));
                }
                else
                {
                    reader.Skip();
                }
            }
            return fields;
        }

        /// <summary>The last property of that name (as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>); an object or array is no scalar.</summary>
        public Scalar Get(string name)
        {
            if (_values is not null)
            {
                var index = _wanted!.IndexOf(name);
                return index >= 0 ? _values[index] : throw new ArgumentException($"{name} was not read", nameof(name));
            }
            for (var i = _all!.Count - 1; i >= 0; i--)
            {
                if (_all[i].Name == name)
                {
                    return _all[i].Value;
                }
            }
            return default;
        }

        /// <summary>The nested object at that index of the names asked for (null when absent or not an object).</summary>
        public Fields? Object(int name) => _objects?[name];

        /// <summary>Identify traits: scalar values as text (a string as is, anything else as its JSON).</summary>
        public Dictionary<string, string> ToTraits()
        {
            var traits = new Dictionary<string, string>();
            foreach (var (name, value) in _all ?? [])
            {
                if (value.Kind != JsonTokenType.None)
                {
                    traits[name] = value.Text!;
                }
            }
            return traits;
        }
    }
}
