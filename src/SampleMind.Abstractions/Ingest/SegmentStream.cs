using SampleMind.Users;

namespace SampleMind.Ingest;

/// <summary>
/// The Orleans stream that carries Segment-spec events into user grains (in production fed by Event Hubs).
/// Stream key = the user key (<c>userId</c>, else <c>anonymousId</c>); each item is one <see cref="UserEventBatch"/>.
/// </summary>
public static class SegmentStream
{
    /// <summary>The stream namespace the ingest consumer subscribes to implicitly.</summary>
    public const string Namespace = "segment";

    /// <summary>Where the Event Hubs adapter files messages it refused; nothing subscribes to it.</summary>
    public const string InvalidNamespace = "segment-invalid";
}

/// <summary>The validated events of one user from one message, in message order: one <c>IngestAsync</c> call.</summary>
[GenerateSerializer, Immutable, Alias("sm.user-event-batch")]
public sealed record class UserEventBatch(
    [property: Id(0)] string UserKey,
    [property: Id(1)] UserEvent[] Events);
