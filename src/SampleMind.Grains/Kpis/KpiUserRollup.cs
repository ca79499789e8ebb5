using Microsoft.Extensions.Options;
using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Users;
using SampleMind.Revenue;
using SampleMind.Users;

namespace SampleMind.Kpis;

/// <summary>The KPI day/week rollup: exact per-day shares through <see cref="KpiDeltaTracker"/>.</summary>
public sealed class KpiUserRollup(IKpiDeltaSink sink, IOptions<RevenueOptions> revenue) : IUserRollup
{
    private readonly RevenueSource _source = revenue.Value.Source;

    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
        => new Capture(sink, KpiDeltaTracker.Begin(model, events, _source));

    private sealed class Capture(IKpiDeltaSink sink, KpiDeltaTracker tracker) : IUserRollupCapture
    {
        public void Complete(UserModel model) => sink.Add(tracker.Complete(model));
    }
}
