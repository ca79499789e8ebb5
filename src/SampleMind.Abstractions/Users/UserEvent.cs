namespace SampleMind.Users;

/// <summary>
/// One validated Segment-spec event on its way to a user grain. <see cref="Json"/> is the event as
/// received (normalised, UTF-8 JSON); it is what the user event log stores and what replay re-reads.
/// </summary>
[GenerateSerializer, Immutable, Alias("sm.user-event")]
public sealed record class UserEvent(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Type,
    [property: Id(2)] string? Name,
    [property: Id(3)] DateTimeOffset Timestamp,
    [property: Id(4)] string Json);

/// <summary>What one <c>IngestAsync</c> call did: every event in it is durable when this returns.</summary>
[GenerateSerializer, Immutable, Alias("sm.ingest-result")]
public sealed record class IngestResult(
    [property: Id(0)] int Received,
    [property: Id(1)] int Applied,
    [property: Id(2)] int Duplicates,
    [property: Id(3)] long EventsApplied);
