using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.Features;

/// <summary>
/// The feature rollup: the person's feature facts after the events against before (<see cref="FeatureMath.Delta"/>), so
/// a late earlier use moves their share to its new adoption week and a new active week or payment updates each of their
/// features. An ingest with no feature use, no payment and no new active week (most of them) costs a scan of its events
/// and a reference comparison; only a feature use copies the person's per-feature arrays.
/// </summary>
public sealed class FeatureUserRollup(IFeatureDeltaSink sink) : IUserRollup
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
        return new Capture(sink, before, uses, pays);
    }

    private sealed class Capture(IFeatureDeltaSink sink, FeatureActivity before, bool uses, bool pays) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            var after = model.FeatureActivityView(0m);
            if (!uses && !pays && ReferenceEquals(before.ActiveWeeks, after.ActiveWeeks) && ReferenceEquals(before.Features, after.Features))
            {
                return; // nothing of the person's feature facts changed
            }
            var revenue = model.LifetimeRevenue;
            var (features, weeks) = FeatureMath.Delta(pays ? before : before with { Revenue = revenue }, after with { Revenue = revenue });
            if (features.Count > 0 || weeks.Count > 0)
            {
                sink.Add(features, weeks);
            }
        }
    }
}
