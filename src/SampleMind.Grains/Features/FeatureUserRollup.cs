using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Features;

/// <summary>
/// The feature rollup: the person's feature facts after the events against before (<see cref="FeatureMath.Delta"/>), so
/// a late earlier use moves their share to its new adoption week and a new active week or payment updates each of their
/// features. An ingest with no feature use, no payment and no new active week (most of them) costs a scan of its events
/// and a reference comparison; only a feature use copies the person's per-feature arrays.
/// </summary>
/// <remarks>
/// Features past the ceiling (<see cref="CardinalityOptions.Features"/>) count under "(other)" (<see cref="DimensionRegistry"/>):
/// both states are mapped before they are compared, a person's features that map to "(other)" as one feature (their
/// earliest first use, the sum of their uses), so a hostile client's distinct names never become grains.
/// </remarks>
public sealed class FeatureUserRollup(IFeatureDeltaSink sink, DimensionRegistry registry) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
    {
        bool uses = false, pays = false;
        foreach (var e in events)
        {
            uses |= e is { Type: "track", Name: EventNames.FeatureUsed };
            pays |= e is { Type: "track", Name: EventNames.PaymentSucceeded };
        }
        // Without a feature use the per-feature arrays are not written, so they need no copy; without a payment the
        // revenue does not move (for a merged or erased key too: its payments would be among its events).
        var before = uses ? model.FeatureActivity() : model.FeatureActivityView(pays ? model.LifetimeRevenue : 0m);
        return new Capture(sink, registry, before, uses, pays);
    }

    /// <summary><paramref name="activity"/> with each feature under the key it counts under; the same object when every one is admitted.</summary>
    internal static FeatureActivity Mapped(FeatureActivity activity, DimensionRegistry registry)
    {
        var keys = new string[activity.Features.Length];
        var same = true;
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = registry.Map(DimensionRegistry.Features, activity.Features[i]);
            same &= ReferenceEquals(keys[i], activity.Features[i]) || keys[i] == activity.Features[i];
        }
        if (same)
        {
            return activity;
        }
        var merged = new SortedDictionary<string, (long FirstUse, int Uses)>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Length; i++)
        {
            merged[keys[i]] = merged.TryGetValue(keys[i], out var m)
                ? (Math.Min(m.FirstUse, activity.FirstUse[i]), m.Uses + activity.Uses[i])
                : (activity.FirstUse[i], activity.Uses[i]);
        }
        return activity with
        {
            Features = [.. merged.Keys], FirstUse = [.. merged.Values.Select(v => v.FirstUse)], Uses = [.. merged.Values.Select(v => v.Uses)],
        };
    }

    private sealed class Capture(IFeatureDeltaSink sink, DimensionRegistry registry, FeatureActivity before, bool uses, bool pays) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            var after = model.FeatureActivityView(0m);
            if (!uses && !pays && ReferenceEquals(before.ActiveWeeks, after.ActiveWeeks) && ReferenceEquals(before.Features, after.Features))
            {
                return; // nothing of the person's feature facts changed
            }
            var revenue = model.LifetimeRevenue;
            var (features, weeks) = FeatureMath.Delta(
                Mapped(pays ? before : before with { Revenue = revenue }, registry), Mapped(after with { Revenue = revenue }, registry));
            if (features.Count > 0 || weeks.Count > 0)
            {
                sink.Add(features, weeks);
            }
        }
    }
}
