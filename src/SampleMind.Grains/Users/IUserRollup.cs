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
}
