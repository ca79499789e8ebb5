using SampleMind.Rollups;

namespace SampleMind.Cohorts;

/// <summary>The figures of one signup-month cohort, keyed "yyyy-MM".</summary>
public sealed class CohortGrain(
    [PersistentState("cohort", "Default")] IPersistentState<CataloguedRollupState<CohortTotals>> state)
    : CataloguedRollupGrain<CohortTotals>(state, IRollupCatalogGrain.Cohorts), ICohortGrain
{
    protected override CohortTotals Add(CohortTotals totals, CohortTotals delta)
    {
        var sum = totals.ToFigures();
        sum.Add(delta.ToFigures());
        return sum.ToWire();
    }

    public Task<CohortRow> GetAsync() => Task.FromResult(Totals.ToFigures().ToRow(this.GetPrimaryKeyString()));
}
