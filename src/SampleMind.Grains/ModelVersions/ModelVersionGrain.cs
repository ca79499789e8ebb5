using SampleMind.Rollups;

namespace SampleMind.ModelVersions;

/// <summary>The figures of one AI-model version, keyed "model@version".</summary>
public sealed class ModelVersionGrain(
    [PersistentState("model-version", "Default")] IPersistentState<CataloguedRollupState<ModelVersionTotals>> state)
    : CataloguedRollupGrain<ModelVersionTotals>(state, IRollupCatalogGrain.ModelVersions), IModelVersionGrain
{
    protected override ModelVersionTotals Add(ModelVersionTotals totals, ModelVersionTotals delta)
    {
        var sum = totals.ToFigures();
        sum.Add(delta.ToFigures());
        return sum.ToWire();
    }

    public Task<ModelVersionRow> GetAsync() => Task.FromResult(Totals.ToFigures().ToRow(this.GetPrimaryKeyString()));
}
