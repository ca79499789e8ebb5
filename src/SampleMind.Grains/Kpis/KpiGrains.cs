using System.Globalization;
using SampleMind.Alerts;
using SampleMind.Rollups;
using SampleMind.Analytics.Kpis;

namespace SampleMind.Kpis;

[GenerateSerializer, Alias("sm.kpi-day-state")]
public sealed class KpiDayState
{
    [Id(0)] public KpiDayTotals Totals { get; set; } = new();

    /// <summary>The last sequence applied per source (a silo incarnation's pre-aggregator), so retried flushes count once.</summary>
    [Id(1)] public FlushLedger Applied { get; set; } = new();
}

/// <summary>The KPI figures of one UTC day.</summary>
public sealed class KpiDayGrain(
    [PersistentState("kpi-day", "Default")] IPersistentState<KpiDayState> state) : Grain, IKpiDayGrain
{
    private DateOnly Date => DateOnly.ParseExact(this.GetPrimaryKeyString(), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task ApplyAsync(KpiDayTotals delta, string source, long sequence)
    {
        if (!state.State.Applied.Accept(source, sequence))
        {
            return;
        }
        var totals = state.State.Totals.ToFigures();
        totals.Add(delta.ToFigures());
        state.State.Totals = totals.ToWire();
        await this.WriteOrDeactivateAsync(state);
        await ReportAsync();
    }

    public Task<KpiDayRow> GetAsync() => Task.FromResult(state.State.Totals.ToFigures().ToRow(Date));

    public Task<KpiDayTotals> GetTotalsAsync() => Task.FromResult(state.State.Totals);

    public async Task ResetAsync(KpiDayTotals totals)
    {
        state.State.Totals = totals;
        await this.WriteOrDeactivateAsync(state);
        await ReportAsync();
    }

    /// <summary>Tells the alert monitor what the feature-adoption rule reads.</summary>
    private Task ReportAsync()
        => GrainFactory.ReportToAlertsAsync(m => m.ObserveKpiDayAsync(Date, state.State.Totals.Dau, state.State.Totals.FeatureUsers));
}

[GenerateSerializer, Alias("sm.kpi-week-state")]
public sealed class KpiWeekState
{
    [Id(0)] public int Wap { get; set; }
    [Id(1)] public FlushLedger Applied { get; set; } = new();
}

/// <summary>WAP of one ISO week.</summary>
public sealed class KpiWeekGrain(
    [PersistentState("kpi-week", "Default")] IPersistentState<KpiWeekState> state) : Grain, IKpiWeekGrain
{
    public async Task ApplyAsync(int wapDelta, string source, long sequence)
    {
        if (!state.State.Applied.Accept(source, sequence))
        {
            return;
        }
        state.State.Wap += wapDelta;
        await this.WriteOrDeactivateAsync(state);
    }

    public Task<KpiWeekRow> GetAsync() => Task.FromResult(new KpiWeekRow(this.GetPrimaryKeyString(), state.State.Wap));

    public async Task ResetAsync(int wap)
    {
        state.State.Wap = wap;
        await this.WriteOrDeactivateAsync(state);
    }
}
