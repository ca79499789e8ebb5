using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure.Messaging.EventHubs;
using Microsoft.Extensions.Logging;
using Orleans.Providers.Streams.Common;
using Orleans.Serialization;
using Orleans.Streaming.EventHubs;
using Orleans.Streams;
using SampleMind.Analytics.Ingest;
using SampleMind.Users;

namespace SampleMind.Ingest.EventHubs;

/// <summary>
/// Maps Event Hubs messages whose body is Segment-spec JSON (one event, or <c>{"batch":[…]}</c>) onto the
/// <see cref="SegmentStream"/> namespace. Each message is validated once, when the partition receiver adds it to
/// its cache, with the same <see cref="SegmentBatchReader"/> as the HTTP API (as a <c>/v1/batch</c> body when it has
/// a <c>batch</c> array, else as one event whose <c>type</c> it must carry); the cached message holds the Event Hubs
/// offset (for checkpoints) and the validated events grouped per user.
/// </summary>
/// <remarks>
/// <para>The stream key is the user key of the message's first event. Producers should set the Event Hubs
/// partition key to that user key, so a user's events stay on one partition and in order; a message holding
/// several users' events is still ingested whole (one <see cref="UserEventBatch"/> per user).</para>
/// <para>An invalid message must not stall its partition: it is logged with partition, offset and sequence
/// number (the dead-letter record), counted, and filed on <see cref="SegmentStream.InvalidNamespace"/> with no
/// events, which nothing consumes; the checkpoint moves past it like any other message.</para>
/// <para><c>receivedAt</c> for validation is the message's enqueued time, so a redelivered message normalises to
/// the same events.</para>
/// </remarks>
public sealed class SegmentEventHubDataAdapter(
    Serializer serializer,
    TimeProvider timeProvider,
    ILogger<SegmentEventHubDataAdapter> logger,
    Analytics.Privacy.PiiProtector? pii = null) : IEventHubDataAdapter
{
    private static readonly Meter Meter = new("SampleMind.Ingest");

    // Personal data protected before the user grain stores it; the hosts register the configured protector.
    private Analytics.Privacy.PiiProtector Protector { get; } = pii ?? Analytics.Privacy.PiiProtector.FromEnvironment();
    private static readonly Counter<long> InvalidMessagesCounter = Meter.CreateCounter<long>(
        "samplemind.ingest.eventhubs.invalid_messages", unit: "{message}", description: "Event Hubs messages skipped as invalid Segment JSON");
    private static readonly Counter<long> EventsCounter = Meter.CreateCounter<long>(
        "samplemind.ingest.eventhubs.events", unit: "{event}", description: "Valid Segment events read from Event Hubs");

    // GetStreamPosition and FromQueueMessage are called back to back for each message; read the body once.
    private readonly ConditionalWeakTable<EventData, ReadOutcome> _reads = [];
    private long _invalidMessages;

    /// <summary>Messages skipped as invalid since this adapter was created.</summary>
    public long InvalidMessages => Interlocked.Read(ref _invalidMessages);

    public StreamPosition GetStreamPosition(string partition, EventData queueMessage)
    {
        var outcome = _reads.GetValue(queueMessage, m => Read(m, partition));
        return new StreamPosition(outcome.StreamId, new EventHubSequenceTokenV2(queueMessage.OffsetString, queueMessage.SequenceNumber, 0));
    }

    public StreamId GetStreamIdentity(EventData queueMessage) =>
        _reads.GetValue(queueMessage, m => Read(m, partition: "")).StreamId;

    public CachedMessage FromQueueMessage(StreamPosition position, EventData queueMessage, DateTime dequeueTime, Func<int, ArraySegment<byte>> getSegment)
    {
        if (!_reads.TryGetValue(queueMessage, out var outcome))
        {
            outcome = Read(queueMessage, partition: "");
        }

        _reads.Remove(queueMessage);
        if (outcome.Problem is { } problem)
        {
            Interlocked.Increment(ref _invalidMessages);
            InvalidMessagesCounter.Add(1, new KeyValuePair<string, object?>("partition", outcome.Partition));
            logger.LogWarning(
                "Dead-letter: skipped invalid Segment message on Event Hubs partition {Partition} at offset {Offset}, sequence {SequenceNumber}, partition key {PartitionKey}: {Problem}",
                outcome.Partition, queueMessage.OffsetString, queueMessage.SequenceNumber, queueMessage.PartitionKey, problem);
        }
        else
        {
            EventsCounter.Add(outcome.Batches.Sum(b => b.Events.Length));
        }

        var payload = serializer.SerializeToArray(outcome.Batches);
        var offset = queueMessage.OffsetString;
        var size = SegmentBuilder.CalculateAppendSize(offset) + SegmentBuilder.CalculateAppendSize(payload);
        var segment = getSegment(size);
        var write = 0;
        SegmentBuilder.Append(segment, ref write, offset);
        SegmentBuilder.Append(segment, ref write, payload);

        return new CachedMessage
        {
            StreamId = position.StreamId,
            SequenceNumber = queueMessage.SequenceNumber,
            EventIndex = position.SequenceToken.EventIndex,
            EnqueueTimeUtc = queueMessage.EnqueuedTime.UtcDateTime,
            DequeueTimeUtc = dequeueTime,
            Segment = segment,
        };
    }

    public IBatchContainer GetBatchContainer(ref CachedMessage cachedMessage)
    {
        var read = 0;
        var offset = ReadOffset(cachedMessage.Segment, ref read);
        var payload = SegmentBuilder.ReadNextBytes(cachedMessage.Segment, ref read);
        var batches = serializer.Deserialize<UserEventBatch[]>(payload.AsSpan()) ?? [];
        return new SegmentBatchContainer(
            cachedMessage.StreamId,
            new EventHubSequenceTokenV2(offset, cachedMessage.SequenceNumber, 0),
            batches);
    }

    public StreamSequenceToken GetSequenceToken(ref CachedMessage cachedMessage)
    {
        var read = 0;
        return new EventHubSequenceTokenV2(ReadOffset(cachedMessage.Segment, ref read), cachedMessage.SequenceNumber, 0);
    }

    public string GetOffset(CachedMessage cachedMessage)
    {
        var read = 0;
        return ReadOffset(cachedMessage.Segment, ref read);
    }

    /// <summary>The partition key a producer should use for a stream: its user key.</summary>
    public string GetPartitionKey(StreamId streamId) => streamId.GetKeyAsString();

    /// <summary>Not supported: producers write Segment JSON to Event Hubs directly (partition key = user key).</summary>
    public EventData ToQueueMessage<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext) =>
        throw new NotSupportedException(
            "The Segment Event Hubs stream is read-only in Orleans: send Segment JSON to the event hub with the user key as partition key.");

    private static string ReadOffset(ArraySegment<byte> segment, ref int read) =>
        SegmentBuilder.ReadNextString(segment, ref read)
        ?? throw new InvalidOperationException("Cached Event Hubs message is missing its offset.");

    private ReadOutcome Read(EventData message, string partition)
    {
        var receivedAt = message.EnqueuedTime == default ? timeProvider.GetUtcNow() : message.EnqueuedTime;
        var body = message.EventBody.ToMemory().Span;
        var result = SegmentBatchReader.Read(body, EndpointOf(body), receivedAt);
        if (!result.IsValid)
        {
            var errors = string.Join("; ", result.Errors.Take(5).Select(e => $"{e.Key} {string.Join(", ", e.Value)}"));
            return ReadOutcome.Invalid(partition, $"{result.Problem}: {errors}");
        }

        var users = result.GroupByUser();
        if (users.Count == 0)
        {
            return ReadOutcome.Invalid(partition, "NoEvents: the batch is empty");
        }

        UserEventBatch[] batches =
        [
            .. users.Select(u => new UserEventBatch(
                u.UserKey,
                [.. u.Events.Select(e => new UserEvent(e.MessageId, e.Type, e.Name, e.Timestamp, Protector.Protect(e.Json)))])),
        ];
        return new ReadOutcome(StreamId.Create(SegmentStream.Namespace, batches[0].UserKey), partition, batches, Problem: null);
    }

    /// <summary>A body with a top-level <c>batch</c> is read as <c>/v1/batch</c>; anything else as one typed event.</summary>
    private static SegmentEndpoint EndpointOf(ReadOnlySpan<byte> body)
    {
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = SegmentBatchReader.MaxDepth + 1 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return SegmentEndpoint.Batch;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("batch"u8))
                {
                    return SegmentEndpoint.Batch;
                }

                if (reader.ValueTextEquals("type"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    var type = reader.GetString();
                    return SegmentBatchReader.TryParseEndpoint(type ?? "", out var endpoint) && endpoint != SegmentEndpoint.Batch
                        ? endpoint
                        : SegmentEndpoint.Batch;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the reader names the problem.
        }

        return SegmentEndpoint.Batch;
    }

    private sealed record class ReadOutcome(StreamId StreamId, string Partition, UserEventBatch[] Batches, string? Problem)
    {
        public static ReadOutcome Invalid(string partition, string problem) =>
            new(StreamId.Create(SegmentStream.InvalidNamespace, partition), partition, [], problem);
    }
}
