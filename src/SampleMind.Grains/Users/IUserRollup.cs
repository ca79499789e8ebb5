using SampleMind.Analytics.Users;

namespace SampleMind.Users;

/// <summary>
/// An aggregate fed by user grains (KPIs, cohorts, campaigns, model versions, …). For every ingest that applies new
/// events, the user grain calls <see cref="Begin"/> before applying them and <see cref="IUserRollupCapture.Complete"/>
/// after, in the same turn; the rollup reports the difference (the user's share after minus before, or the new events'
/// own figures) to its per-silo pre-aggregator. Replayed events are not reported (see <see cref="UserGrain"/>).
/// Register implementations as singletons of this interface.
/// </summary>
public interface IUserRollup
{
    IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events);

    /// <summary>
    /// True (the default) when the rollup counts people, so a merge moves the merged key's share to the person (the
    /// merged grain reports its share to zero, the person's grain its share after minus before). False when its figures
    /// belong to events whoever sent them (model-version requests, alert signals): a merge changes none of them.
    /// </summary>
    bool CountsPeople => true;

    /// <summary>
    /// Erasure: called with the person's model and every event erased from their log; the user grain completes the
    /// capture with an empty model. A people-counting rollup so reports its share going to zero (as a merged key's);
    /// a per-event rollup overrides this to report its events' figures negated.
    /// </summary>
    IUserRollupCapture BeginErase(UserModel model, IReadOnlyList<EventFacts> events) => Begin(model, events);

    /// <summary>
    /// Erasure, after the negated shares reached the aggregate grains and before the job is marked subtracted:
    /// restates from the log that remains (every key but <paramref name="erasedKeys"/>) the figures a subtraction
    /// cannot take back (a model version's extremes). Must be safe to run again (a crash re-runs the stage).
    /// </summary>
    Task AfterEraseAsync(IReadOnlyList<EventFacts> erased, IReadOnlyList<string> erasedKeys, Guid jobId) => Task.CompletedTask;
}

/// <summary>What a rollup captured before the events were applied.</summary>
public interface IUserRollupCapture
{
    void Complete(UserModel model);
}

/// <summary>Every registered <see cref="IUserRollup"/>, resolved once per silo (not one array per user grain).</summary>
public sealed class UserRollups(IEnumerable<IUserRollup> rollups)
{
    public IReadOnlyList<IUserRollup> All { get; } = [.. rollups];

    /// <summary>The rollups that count people: the ones a merge moves (see <see cref="IUserRollup.CountsPeople"/>).</summary>
    public IReadOnlyList<IUserRollup> People => field ??= [.. All.Where(r => r.CountsPeople)];
}
