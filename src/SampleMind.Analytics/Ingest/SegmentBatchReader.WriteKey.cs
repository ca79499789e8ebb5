using System.Text.Json;

namespace SampleMind.Analytics.Ingest;

/// <summary>What <see cref="SegmentBatchReader.FindWriteKey"/> found in a body.</summary>
public enum BodyWriteKey
{
    /// <summary>The body is not JSON (or is too deep): <see cref="SegmentBatchReader.Read"/> says why.</summary>
    Unreadable,

    /// <summary>A JSON body whose root has no string <c>writeKey</c>.</summary>
    Absent,

    /// <summary>The root object's <c>writeKey</c>.</summary>
    Found,
}

public static partial class SegmentBatchReader
{
    /// <summary>
    /// The <c>writeKey</c> of the body's root object: analytics.js 2.0 puts it there on every request (<c>/v1/t</c>,
    /// <c>/v1/b</c>, …), as Segment's HTTP API allows when no Authorization header is sent. One forward pass, no DOM;
    /// the events are validated afterwards by <see cref="Read"/>, once the key is known to be good.
    /// </summary>
    public static BodyWriteKey FindWriteKey(ReadOnlySpan<byte> body, out string? writeKey)
    {
        writeKey = null;
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("writeKey"u8))
                {
                    reader.Read();
                    // The last occurrence wins, as everywhere else in the reader.
                    writeKey = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            writeKey = null;
            return BodyWriteKey.Unreadable;
        }

        if (reader.BytesConsumed == 0)
        {
            return BodyWriteKey.Unreadable;
        }

        return string.IsNullOrEmpty(writeKey) ? BodyWriteKey.Absent : BodyWriteKey.Found;
    }
}
