using System.Text;
using Azure.Messaging.EventHubs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Providers.Streams.Common;
using Orleans.Serialization;
using Orleans.Streaming.EventHubs;
using Orleans.Streaming.EventHubs.Testing;
using Orleans.Streams;
using SampleMind.Analytics.Ingest;
using SampleMind.Ingest;
using SampleMind.Ingest.EventHubs;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.EventHubs;

/// <summary>
/// The adapter on real <see cref="EventData"/> objects as the Event Hubs receiver hands them over (body, partition
/// key, offset, sequence number, enqueued time): message → cached message → batch container → stream events.
/// The oracle for every event is <see cref="SegmentBatchReader"/> on the same body, as the HTTP API reads it.
/// </summary>
public sealed class SegmentEventHubDataAdapterTests
{
    private static readonly DateTimeOffset Enqueued = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    private readonly SegmentEventHubDataAdapter _adapter = new(Serializer, new FakeTimeProvider(Enqueued), NullLogger<SegmentEventHubDataAdapter>.Instance);

    [Fact]
    public void ABatchMessage_BecomesOneContainer_OnItsUsersStream_WithEveryEventAsTheApiReadsIt()
    {
        var events = new EventBuilder("u-batch");
        var body = Batch(
            events.Identify(Enqueued.AddDays(-3), new { plan = "free" }),
            events.Track("login", Enqueued.AddDays(-2)),
            events.Track("analysis_completed", Enqueued.AddDays(-1), new { model = "genre_classification" }));
        var message = Message(body, partitionKey: "u-batch", offset: 4096, sequence: 17);

        var (position, container) = ThroughCache(message, partition: "3");

        Assert.Equal(StreamId.Create(SegmentStream.Namespace, "u-batch"), position.StreamId);
        Assert.Equal(StreamId.Create(SegmentStream.Namespace, "u-batch"), container.StreamId);
        var token = Assert.IsType<EventHubSequenceTokenV2>(container.SequenceToken);
        Assert.Equal(("4096", 17L, 0), (token.EventHubOffset, token.SequenceNumber, token.EventIndex));
        var batch = Assert.Single(container.GetEvents<UserEventBatch>()).Item1;
        Assert.Equal("u-batch", batch.UserKey);
        Assert.Equal(Oracle(body, SegmentEndpoint.Batch), batch.Events);
        Assert.Equal(["u-batch-m000001", "u-batch-m000002", "u-batch-m000003"], batch.Events.Select(e => e.MessageId));
        Assert.Equal(["identify", "track", "track"], batch.Events.Select(e => e.Type));
        Assert.Equal(0, _adapter.InvalidMessages);
    }

    [Fact]
    public void ASingleEventMessage_IsReadAsTheEndpointOfItsType()
    {
        var body = new EventBuilder("u-single").Track("feature_used", Enqueued.AddHours(-1), new { feature = "stems" });

        var (_, container) = ThroughCache(Message(body, "u-single", offset: 10, sequence: 1), partition: "0");

        var batch = Assert.Single(container.GetEvents<UserEventBatch>()).Item1;
        Assert.Equal(Oracle(body, SegmentEndpoint.Track), batch.Events);
        Assert.Equal("feature_used", Assert.Single(batch.Events).Name);
    }

    [Fact]
    public void AMessageWithSeveralUsers_IsOneContainer_OnTheFirstUsersStream_WithOneBatchPerUser()
    {
        var a = new EventBuilder("u-a");
        var b = new EventBuilder("u-b");
        var body = Batch(a.Track("login", Enqueued.AddHours(-3)), b.Track("login", Enqueued.AddHours(-2)), a.Track("logout", Enqueued.AddHours(-1)));

        var (position, container) = ThroughCache(Message(body, "u-a", offset: 20, sequence: 2), partition: "0");

        Assert.Equal(StreamId.Create(SegmentStream.Namespace, "u-a"), position.StreamId);
        var batches = container.GetEvents<UserEventBatch>().ToArray();
        Assert.Equal(["u-a", "u-b"], batches.Select(x => x.Item1.UserKey));
        Assert.Equal(["u-a-m000001", "u-a-m000002"], batches[0].Item1.Events.Select(e => e.MessageId));
        Assert.Equal(["u-b-m000001"], batches[1].Item1.Events.Select(e => e.MessageId));
        Assert.Equal([0, 1], batches.Select(x => x.Item2.EventIndex));
    }

    [Fact]
    public void ASingleEventWithAByteOrderMark_IsReadLikeWithout()
    {
        var body = new EventBuilder("u-bom").Track("login", Enqueued.AddHours(-1));
        var message = EventHubsModelFactory.EventData(new BinaryData([.. "\uFEFF"u8, .. Encoding.UTF8.GetBytes(body)]), partitionKey: "u-bom", sequenceNumber: 5, offsetString: "50", enqueuedTime: Enqueued);

        var (_, container) = ThroughCache(message, partition: "0");

        Assert.Equal(Oracle(body, SegmentEndpoint.Track), Assert.Single(container.GetEvents<UserEventBatch>()).Item1.Events);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"batch\":[{\"type\":\"track\",\"event\":\"login\",\"userId\":\"u\",\"timestamp\":\"2026-06-30T10:00:00Z\"}]}")] // no messageId
    [InlineData("{\"batch\":[]}")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"type\":\"track\",\"event\":\"login\",\"messageId\":\"m1\",\"timestamp\":\"2026-06-30T10:00:00Z\"}")] // no userId/anonymousId
    [InlineData("{\"type\":\"track\",\"event\":\"login\",\"messageId\":\"m1\",\"userId\":\"u\",\"timestamp\":\"2026-07-09T10:00:00Z\"}")] // 9 days after enqueue
    public void AnInvalidMessage_IsSkipped_AndCounted(string body)
    {
        var (position, container) = ThroughCache(Message(body, "u", offset: 30, sequence: 3), partition: "5");

        Assert.Equal(StreamId.Create(SegmentStream.InvalidNamespace, "5"), position.StreamId);
        Assert.Empty(container.GetEvents<UserEventBatch>());
        Assert.Equal(1, _adapter.InvalidMessages);
    }

    [Fact]
    public void InvalidUtf8_IsSkipped_AndCounted()
    {
        var message = EventHubsModelFactory.EventData(new BinaryData(new byte[] { 0x7B, 0xC3, 0x28, 0x7D }), partitionKey: "u", sequenceNumber: 4, offsetString: "40", enqueuedTime: Enqueued);

        var (position, container) = ThroughCache(message, partition: "1");

        Assert.Equal(SegmentStream.InvalidNamespace, position.StreamId.GetNamespace());
        Assert.Empty(container.GetEvents<UserEventBatch>());
        Assert.Equal(1, _adapter.InvalidMessages);
    }

    [Fact]
    public void APartitionWithAnInvalidMessage_KeepsDeliveringTheOthers_InOrder_ThroughTheEventHubCache()
    {
        var a = new EventBuilder("u-a");
        var b = new EventBuilder("u-b");
        var messages = new List<EventData>
        {
            Message(Batch(a.Track("login", Enqueued.AddHours(-4))), "u-a", offset: 100, sequence: FirstSequence),
            Message("{\"batch\": 42}", "u-a", offset: 200, sequence: 11),
            Message(Batch(b.Track("login", Enqueued.AddHours(-3))), "u-b", offset: 300, sequence: 12),
            Message(Batch(a.Track("analysis_completed", Enqueued.AddHours(-2)), a.Track("logout", Enqueued.AddHours(-1))), "u-a", offset: 400, sequence: 13),
        };
        using var cache = NewCache("7");

        cache.Add(messages, Enqueued.UtcDateTime);

        var streamA = Drain(cache, StreamId.Create(SegmentStream.Namespace, "u-a"));
        var streamB = Drain(cache, StreamId.Create(SegmentStream.Namespace, "u-b"));
        Assert.Equal([10L, 13L], streamA.Select(c => c.SequenceToken.SequenceNumber));
        Assert.Equal(["u-a-m000001", "u-a-m000002", "u-a-m000003"], streamA.SelectMany(c => c.GetEvents<UserEventBatch>()).SelectMany(x => x.Item1.Events).Select(e => e.MessageId));
        Assert.Equal(["u-b-m000001"], Assert.Single(streamB).GetEvents<UserEventBatch>().SelectMany(x => x.Item1.Events).Select(e => e.MessageId));
        Assert.Equal(1, _adapter.InvalidMessages);
    }

    [Fact]
    public void TheCachedMessage_KeepsTheEventHubsOffset_ForCheckpoints()
    {
        var body = new EventBuilder("u-off").Track("login", Enqueued.AddHours(-1));
        var message = Message(body, "u-off", offset: 123456789, sequence: 99);
        var position = _adapter.GetStreamPosition("2", message);

        var cached = _adapter.FromQueueMessage(position, message, Enqueued.UtcDateTime, size => new byte[size]);

        Assert.Equal("123456789", _adapter.GetOffset(cached));
        Assert.Equal(99, cached.SequenceNumber);
        Assert.Equal(Enqueued.UtcDateTime, cached.EnqueueTimeUtc);
        Assert.Equal(new EventHubSequenceTokenV2("123456789", 99, 0), _adapter.GetSequenceToken(ref cached));
    }

    [Fact]
    public void TheContainer_SurvivesOrleansSerialization_ToAConsumerOnAnotherSilo()
    {
        var body = new EventBuilder("u-ser").Track("login", Enqueued.AddHours(-1));
        var (_, container) = ThroughCache(Message(body, "u-ser", offset: 1, sequence: 1), partition: "0");

        var copy = Assert.IsType<SegmentBatchContainer>(Serializer.Deserialize<IBatchContainer>(Serializer.SerializeToArray<IBatchContainer>(container)));

        Assert.Equal(container.StreamId, copy.StreamId);
        Assert.Equal(container.SequenceToken, copy.SequenceToken);
        Assert.Equal(container.GetEvents<UserEventBatch>().Single().Item1.Events, copy.GetEvents<UserEventBatch>().Single().Item1.Events);
    }

    [Fact]
    public void ProducingThroughOrleans_IsRefused_ProducersWriteSegmentJsonToEventHubs()
    {
        Assert.Throws<NotSupportedException>(() =>
            _adapter.ToQueueMessage(StreamId.Create(SegmentStream.Namespace, "u"), new[] { 1 }, token: null, requestContext: null));
        Assert.Equal("u-key", _adapter.GetPartitionKey(StreamId.Create(SegmentStream.Namespace, "u-key")));
    }

    private (StreamPosition Position, IBatchContainer Container) ThroughCache(EventData message, string partition)
    {
        var position = _adapter.GetStreamPosition(partition, message);
        var cached = _adapter.FromQueueMessage(position, message, Enqueued.UtcDateTime, size => new byte[size]);
        return (position, _adapter.GetBatchContainer(ref cached));
    }

    private EventHubQueueCache NewCache(string partition)
    {
        var pool = new ObjectPool<FixedSizeBuffer>(() => new FixedSizeBuffer(1 << 16));
        var eviction = new ChronologicalEvictionStrategy(NullLogger.Instance, new TimePurgePredicate(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)), null, null);
        return new EventHubQueueCache(partition, 1000, pool, _adapter, eviction, NoOpCheckpointer.Instance, NullLogger.Instance, null!, null, null);
    }

    private const long FirstSequence = 10;

    private static List<IBatchContainer> Drain(EventHubQueueCache cache, StreamId stream)
    {
        // From the partition's first message, as a subscriber that starts at the checkpoint would.
        var cursor = cache.TryGetCursor(stream, new EventHubSequenceTokenV2("", FirstSequence, 0));
        Assert.Equal(QueueCacheCursorResultKind.Success, cursor.Kind);
        var delivered = new List<IBatchContainer>();
        while (true)
        {
            cache.TryGetNextMessageWithResult(cursor.Cursor!, out var container);
            if (container is null)
            {
                break;
            }

            delivered.Add(container);
        }

        return delivered;
    }

    private static EventData Message(string body, string partitionKey, long offset, long sequence) =>
        EventHubsModelFactory.EventData(
            new BinaryData(Encoding.UTF8.GetBytes(body)),
            partitionKey: partitionKey,
            sequenceNumber: sequence,
            offsetString: offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
            enqueuedTime: Enqueued);

    private static string Batch(params string[] events) => $"{{\"batch\":[{string.Join(",", events)}]}}";

    private static UserEvent[] Oracle(string body, SegmentEndpoint endpoint)
    {
        var result = SegmentBatchReader.Read(Encoding.UTF8.GetBytes(body), endpoint, Enqueued);
        Assert.True(result.IsValid);
        return [.. result.Events.Select(e => new UserEvent(e.MessageId, e.Type, e.Name, e.Timestamp, e.Json))];
    }
}
