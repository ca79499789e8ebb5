using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.Kpis;

/// <summary>The KPI day/week rollup: exact per-day shares through <see cref="KpiDeltaTracker"/>.</summary>
public sealed class KpiUserRollup(IKpiDeltaSink sink) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
        => new Capture(sink, KpiDeltaTracker.Begin(model, events));

    private sealed class Capture(IKpiDeltaSink sink, KpiDeltaTracker tracker) : IUserRollupCapture
    {
        public void Complete(UserModel model) => sink.Add(tracker.Complete(model));
    }
}
