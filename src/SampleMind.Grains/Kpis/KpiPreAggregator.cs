using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Kpis;
using SampleMind.Rollups;

namespace SampleMind.Kpis;

/// <summary>Where user grains report their KPI deltas.</summary>
public interface IKpiDeltaSink
{
    void Add(KpiDeltas deltas);
}

/// <summary>The per-silo KPI pre-aggregator: day figures and ISO-week WAP, flushed to the KPI grains every flush interval (500 ms by default).</summary>
public sealed class KpiPreAggregator : IKpiDeltaSink, IRollupFlushTarget
{
    private readonly PreAggregator<int, KpiDayFigures> _days;
    private readonly PreAggregator<IsoWeek, StrongBox<int>> _weeks;

    public KpiPreAggregator(IGrainFactory grains, ILogger<KpiPreAggregator> logger)
    {
        _days = new("kpi-days", () => new KpiDayFigures(), (into, delta) => into.Add(delta), d => d.IsZero,
            (day, delta, source, sequence) => grains.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(DateOnly.FromDayNumber(day))).ApplyAsync(delta.ToWire(), source, sequence),
            logger);
        _weeks = new("kpi-weeks", () => new StrongBox<int>(), (into, delta) => into.Value += delta.Value, d => d.Value == 0,
            (week, delta, source, sequence) => grains.GetGrain<IKpiWeekGrain>(week.ToString()).ApplyAsync(delta.Value, source, sequence),
            logger);
    }

    public void Add(KpiDeltas deltas)
    {
        foreach (var (day, delta) in deltas.Days)
        {
            _days.Add(day, delta);
        }
        foreach (var (week, delta) in deltas.WeeklyWap)
        {
            _weeks.Add(week, new StrongBox<int>(delta));
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken)
        => Task.WhenAll(_days.FlushAsync(cancellationToken), _weeks.FlushAsync(cancellationToken));

    public bool IsIdle => _days.IsIdle && _weeks.IsIdle;
}
