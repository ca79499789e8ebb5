using SampleMind.Rollups;

namespace SampleMind.Revenue;

/// <summary>The MRR movements of one UTC month, keyed "yyyy-MM".</summary>
public sealed class MrrMonthGrain(
    [PersistentState("mrr-month", "Default")] IPersistentState<CataloguedRollupState<MrrMonthTotals>> state)
    : CataloguedRollupGrain<MrrMonthTotals>(state, IRollupCatalogGrain.MrrMonths), IMrrMonthGrain
{
    protected override MrrMonthTotals Add(MrrMonthTotals totals, MrrMonthTotals delta)
    {
        var sum = totals.ToFigures();
        sum.Add(delta.ToFigures());
        return sum.ToWire();
    }
}
