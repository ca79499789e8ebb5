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
}
