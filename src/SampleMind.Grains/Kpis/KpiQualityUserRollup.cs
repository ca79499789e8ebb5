using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.Kpis;

/// <summary>
/// The KPI days' feedback ratings (<see cref="QualityScore"/>): per event, so an ingest's delta is its new events' own
/// ratings, a merge moves none and an erasure takes its events' ratings back.
/// </summary>
public sealed class KpiQualityUserRollup(IKpiDeltaSink sink) : IUserRollup
{
    public bool CountsPeople => false;

    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events) => CaptureOf(events, sign: 1);

    public IUserRollupCapture BeginErase(UserModel model, IReadOnlyList<EventFacts> events) => CaptureOf(events, sign: -1);

    private IUserRollupCapture CaptureOf(IReadOnlyList<EventFacts> events, int sign)
    {
        var days = QualityScore.DaysOf(events);
        if (sign < 0)
        {
            foreach (var (day, f) in days.ToList())
            {
                var negated = new KpiDayFigures();
                negated.Add(f, -1);
                days[day] = negated;
            }
        }
        return new Capture(sink, days.Count == 0 ? KpiDeltas.None : new KpiDeltas(days, new Dictionary<IsoWeek, int>()));
    }

    private sealed class Capture(IKpiDeltaSink sink, KpiDeltas deltas) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            if (!deltas.IsEmpty)
            {
                sink.Add(deltas);
            }
        }
    }
}
