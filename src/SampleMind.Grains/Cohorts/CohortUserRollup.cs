using SampleMind.Analytics.Cohorts;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.Cohorts;

/// <summary>
/// The cohort rollup: the user's whole cohort share after the events minus before, so a late, earlier signup moves
/// the share to its new cohort. Only ingests with a payment or a signup-relevant event are captured.
/// </summary>
public sealed class CohortUserRollup(ICohortDeltaSink sink) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
        => CohortMath.Touches(events) ? new Capture(sink, CohortMath.ShareOf(model)) : Nothing.Instance;

    private sealed class Capture(ICohortDeltaSink sink, (string Cohort, CohortFigures Share)? before) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            var delta = CohortMath.Delta(before, CohortMath.ShareOf(model));
            if (delta.Count > 0)
            {
                sink.Add(delta);
            }
        }
    }

    private sealed class Nothing : IUserRollupCapture
    {
        public static readonly Nothing Instance = new();

        public void Complete(UserModel model)
        {
        }
    }
}
