using Microsoft.Extensions.Logging;
using Orleans.Streaming.EventHubs;
using Orleans.Streams;
using Orleans.Streams.Core;
using SampleMind.Users;

namespace SampleMind.Ingest.EventHubs;

/// <summary>The stream side of ingest: one activation per stream key (a user key) on <see cref="SegmentStream.Namespace"/>.</summary>
public interface ISegmentIngestConsumerGrain : IGrainWithStringKey;

/// <summary>
/// Hands every <see cref="UserEventBatch"/> on the <see cref="SegmentStream.Namespace"/> stream to the same
/// <see cref="IUserGrain.IngestAsync"/> the HTTP API calls. <see cref="OnNextAsync"/> completes only once the events
/// are durable; a failure propagates, so the pulling agent retries the delivery (duplicates are dropped by messageId)
/// and the partition checkpoint does not move past it. Works with any stream provider (Event Hubs in production,
/// memory streams in tests): the subscription is implicit and resumed in <see cref="OnSubscribed"/>.
/// </summary>
[ImplicitStreamSubscription(SegmentStream.Namespace)]
public sealed class SegmentIngestConsumerGrain(ILogger<SegmentIngestConsumerGrain> logger)
    : Grain, ISegmentIngestConsumerGrain, IStreamSubscriptionObserver, IAsyncObserver<UserEventBatch>
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
        => await handleFactory.Create<UserEventBatch>().ResumeAsync(this);

    public async Task OnNextAsync(UserEventBatch item, StreamSequenceToken? token = null)
    {
        try
        {
            var result = await GrainFactory.GetGrain<IUserGrain>(item.UserKey).IngestAsync(item.Events);
            logger.LogDebug("Stream ingest for {UserKey}: {Applied} applied, {Duplicates} duplicates", item.UserKey, result.Applied, result.Duplicates);
        }
        catch (EventRejectedException rejected)
        {
            // Refused for good: redelivering it would block the partition forever. Skipped with one error line (the
            // event log's samplemind.eventlog.rejected_events counter counts it).
            logger.LogError("Stream ingest of {Events} events for {UserKey} at {Offset} refused for good ({SqlState}: {Reason}; messageIds {MessageIds}); skipped",
                item.Events.Length, item.UserKey.Length <= 64 ? item.UserKey : item.UserKey[..64], (token as EventHubSequenceToken)?.EventHubOffset ?? token?.ToString(),
                rejected.SqlState, rejected.Reason, string.Join(", ", rejected.MessageIds.Take(5)));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Stream ingest of {Events} events for {UserKey} at {Offset} failed; the stream provider retries it",
                item.Events.Length, item.UserKey, (token as EventHubSequenceToken)?.EventHubOffset ?? token?.ToString());
            throw;
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        logger.LogError(ex, "Stream {StreamKey} reported an error", this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }
}
