using Orleans.Concurrency;

namespace SampleMind.Users;

/// <summary>The live 360° state of one user, keyed by the Segment <c>userId</c> (or <c>anonymousId</c>).</summary>
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>
    /// Deduplicates (on messageId, for the life of the user), appends to the user event log, applies and
    /// derives. When the returned task completes, every event in <paramref name="events"/> is durable.
    /// </summary>
    Task<IngestResult> IngestAsync(UserEvent[] events);

    /// <summary>The 360° view; <c>null</c> when the user has never had an event.</summary>
    [AlwaysInterleave]
    Task<UserView?> GetAsync();

    /// <summary>The fast path for product APIs: segment, churn risk, reasons, actions and LTV.</summary>
    [AlwaysInterleave]
    Task<RiskView?> GetRiskAsync();

    /// <summary>Scores the user as of now and writes the result to the user index (the index refresher calls this for
    /// users without new events, whose risk still moves as time passes).</summary>
    Task RefreshIndexAsync();

    /// <summary>
    /// Identity resolution, called by the person's grain <paramref name="personId"/> (in its own turn): merges this key
    /// into the person in one PostgreSQL transaction (the identity link written, this key's log rows moved to the
    /// person with sequence numbers from <paramref name="firstSeq"/>, duplicates by messageId dropped), takes back this
    /// key's share of every people-counting rollup, and from then on forwards ingest and reads to the person. When this
    /// key is already merged, nothing moves and the result names the person it belongs to.
    /// </summary>
    Task<HandOverResult> HandOverAsync(string personId, long firstSeq, string via, string messageId);

    /// <summary>
    /// Erasure job <paramref name="jobId"/> (a merged key forwards it to its person): tombstones the person's keys, sends
    /// every aggregate the negative of the person's share under the job's own rollup source (a re-run counts once), then
    /// deletes every row of theirs. Idempotent: a re-run after a crash continues from the stage the job reached.
    /// </summary>
    Task<ErasureResult> EraseAsync(Guid jobId);

    /// <summary>
    /// Retention: deletes this person's logged events before the cut-offs (raw events before
    /// <paramref name="analyticsBefore"/>, financial ones before <paramref name="financialBefore"/>), after a snapshot
    /// that holds every event applied, so the user's state, its snapshot and the log agree; the aggregates keep their
    /// share. From then on events older than the cut-offs are acked as duplicates and not stored (a retry of a trimmed
    /// message must not come back). Idempotent. A merged key forwards to its person.
    /// </summary>
    Task<Privacy.RetentionTrimResult> ApplyRetentionAsync(DateOnly analyticsBefore, DateOnly financialBefore);
}

/// <summary>What an erasure removed: the person, how many keys (their id and merged ids) and how many logged events.</summary>
[GenerateSerializer, Immutable, Alias("sm.erasure-result")]
public sealed record class ErasureResult(
    [property: Id(0)] string PersonId,
    [property: Id(1)] int Keys,
    [property: Id(2)] long Events);

/// <summary>What <see cref="IUserGrain.HandOverAsync"/> did: the person the key belongs to now and the rows it moved there.</summary>
[GenerateSerializer, Immutable, Alias("sm.hand-over-result")]
public sealed record class HandOverResult(
    [property: Id(0)] string PersonId,
    [property: Id(1)] bool Merged,
    [property: Id(2)] int MovedEvents);
