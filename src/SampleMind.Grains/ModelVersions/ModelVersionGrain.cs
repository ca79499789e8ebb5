using SampleMind.Rollups;

namespace SampleMind.ModelVersions;

/// <summary>A trained model version's evaluation (null for models that are only served, never trained here).</summary>
[GenerateSerializer, Alias("sm.model-training-state")]
public sealed class ModelTrainingState
{
    [Id(0)] public ModelTraining? Training { get; set; }
}

/// <summary>The figures of one AI-model version, keyed "model@version".</summary>
public sealed class ModelVersionGrain(
    [PersistentState("model-version", "Default")] IPersistentState<CataloguedRollupState<ModelVersionTotals>> state,
    [PersistentState("model-training", "Default")] IPersistentState<ModelTrainingState> training)
    : CataloguedRollupGrain<ModelVersionTotals>(state, IRollupCatalogGrain.ModelVersions), IModelVersionGrain
{
    protected override ModelVersionTotals Add(ModelVersionTotals totals, ModelVersionTotals delta)
    {
        var sum = totals.ToFigures();
        sum.Add(delta.ToFigures());
        return sum.ToWire();
    }

    public Task<ModelVersionRow> GetAsync()
        => Task.FromResult(Totals.ToFigures().ToRow(this.GetPrimaryKeyString()) with { Training = training.State.Training });

    public async Task SetTrainingAsync(ModelTraining value)
    {
        await GrainFactory.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.ModelVersions).AddAsync(this.GetPrimaryKeyString());
        if (training.State.Training != value)
        {
            training.State.Training = value;
            await training.WriteStateAsync();
        }
    }
}
