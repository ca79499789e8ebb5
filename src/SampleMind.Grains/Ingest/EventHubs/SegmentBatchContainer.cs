using Orleans.Streaming.EventHubs;
using Orleans.Streams;

namespace SampleMind.Ingest.EventHubs;

/// <summary>
/// One Event Hubs message on its way to the ingest consumer: the validated events of each user in it. Serializable,
/// because the pulling agent hands it to the consumer grain, which may live on another silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("sm.segment-batch-container")]
public sealed class SegmentBatchContainer(StreamId streamId, EventHubSequenceTokenV2 token, UserEventBatch[] batches) : IBatchContainer
{
    [Id(0)]
    public StreamId StreamId { get; } = streamId;

    [Id(1)]
    public EventHubSequenceTokenV2 Token { get; } = token;

    [Id(2)]
    public UserEventBatch[] Batches { get; } = batches;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Batches.OfType<T>().Select((e, i) => Tuple.Create<T, StreamSequenceToken>(
            e, new EventHubSequenceTokenV2(Token.EventHubOffset, Token.SequenceNumber, i)));

    public bool ImportRequestContext() => false;
}
