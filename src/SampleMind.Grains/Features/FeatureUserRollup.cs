using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.Features;

/// <summary>
/// The feature rollup: the person's feature facts after the events against before (<see cref="FeatureMath.Delta"/>), so
/// a late earlier use moves their share to its new adoption week and a new active week or payment updates each of their
/// features. The capture is two small array copies per ingest; an ingest that changes nothing reports nothing.
/// </summary>
public sealed class FeatureUserRollup(IFeatureDeltaSink sink) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events) => new Capture(sink, model.FeatureActivity());

    private sealed class Capture(IFeatureDeltaSink sink, FeatureActivity before) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            var (features, weeks) = FeatureMath.Delta(before, model.FeatureActivity());
            if (features.Count > 0 || weeks.Count > 0)
            {
                sink.Add(features, weeks);
            }
        }
    }
}
