using System.Text.Json;
using SampleMind.Analytics.Quality;

namespace SampleMind.Analytics.Ingest;

public static partial class SegmentBatchReader
{
    /// <summary>
    /// How many events of a refused body came from each source (<see cref="IngestSource"/>), for data quality: every
    /// item of a batch counts, valid or not; a body that is not a readable batch or event counts as one event of
    /// <see cref="IngestSource.Unknown"/>. Only for refused bodies (it parses the body again).
    /// </summary>
    public static IReadOnlyDictionary<string, int> SourcesOfRefused(ReadOnlySpan<byte> body, SegmentEndpoint endpoint)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }
        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
            var root = document.RootElement;
            if (endpoint != SegmentEndpoint.Batch && root.ValueKind == JsonValueKind.Object)
            {
                Add(IngestSource.Of(ContextOf(root), null));
            }
            else if (endpoint == SegmentEndpoint.Batch
                && root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("batch", out var batch)
                && batch.ValueKind == JsonValueKind.Array
                && batch.GetArrayLength() > 0)
            {
                var batchContext = ContextOf(root);
                foreach (var item in batch.EnumerateArray())
                {
                    Add(IngestSource.Of(item.ValueKind == JsonValueKind.Object ? ContextOf(item) : null, batchContext));
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            counts.Clear();
        }
        if (counts.Count == 0)
        {
            Add(IngestSource.Unknown);
        }
        return counts;

        void Add(string source) => counts[source] = counts.GetValueOrDefault(source) + 1;

        static JsonElement? ContextOf(JsonElement item) =>
            item.TryGetProperty("context", out var context) && context.ValueKind == JsonValueKind.Object ? context : null;
    }
}
