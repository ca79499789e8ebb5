using SampleMind.Analytics.Cohorts;
using SampleMind.Rollups;

namespace SampleMind.Cohorts;

[GenerateSerializer, Alias("sm.cohort-state")]
public sealed class CohortState
{
    [Id(0)] public CohortTotals Totals { get; set; } = new();

    /// <summary>The last sequence applied per source (a silo incarnation's pre-aggregator), so retried flushes count once.</summary>
    [Id(1)] public Dictionary<string, long> Applied { get; set; } = [];

    /// <summary>Whether the catalogue knows this cohort.</summary>
    [Id(2)] public bool Catalogued { get; set; }
}

/// <summary>The figures of one signup-month cohort, keyed "yyyy-MM".</summary>
public sealed class CohortGrain(
    [PersistentState("cohort", "Default")] IPersistentState<CohortState> state) : Grain, ICohortGrain
{
    public async Task ApplyAsync(CohortTotals delta, string source, long sequence)
    {
        if (state.State.Applied.TryGetValue(source, out var last) && sequence <= last)
        {
            return;
        }
        var totals = state.State.Totals.ToFigures();
        totals.Add(delta.ToFigures());
        state.State.Totals = totals.ToWire();
        state.State.Applied[source] = sequence;
        await CatalogueAsync();
        await state.WriteStateAsync();
    }

    public Task<CohortRow> GetAsync() => Task.FromResult(state.State.Totals.ToFigures().ToRow(this.GetPrimaryKeyString()));

    public Task<CohortTotals> GetTotalsAsync() => Task.FromResult(state.State.Totals);

    public async Task ResetAsync(CohortTotals totals)
    {
        state.State.Totals = totals;
        await CatalogueAsync();
        await state.WriteStateAsync();
    }

    private async Task CatalogueAsync()
    {
        if (!state.State.Catalogued)
        {
            await GrainFactory.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.Cohorts).AddAsync(this.GetPrimaryKeyString());
            state.State.Catalogued = true;
        }
    }
}
