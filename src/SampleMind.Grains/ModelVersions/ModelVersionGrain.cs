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
    // An erasure's restatement in progress: its id and the extremes of the deltas applied since it began.
    private (Guid Id, ModelVersionExtremes Collected)? _restate;

    protected override ModelVersionTotals Add(ModelVersionTotals totals, ModelVersionTotals delta)
    {
        if (_restate is { } restate)
        {
            _restate = (restate.Id, restate.Collected.Merge(delta.LatencyMaxMs, delta.FirstRequestAt, delta.LastRequestAt));
        }
        var sum = totals.ToFigures();
        sum.Add(delta.ToFigures());
        return sum.ToWire();
    }

    public Task BeginRestateAsync(Guid restate)
    {
        _restate = (restate, ModelVersionExtremes.None);
        return Task.CompletedTask;
    }

    public async Task<bool> CompleteRestateAsync(Guid restate, ModelVersionExtremes remaining)
    {
        if (_restate is not { } begun || begun.Id != restate)
        {
            return false;
        }
        _restate = null;
        var extremes = remaining.Merge(begun.Collected.LatencyMaxMs, begun.Collected.FirstRequestAt, begun.Collected.LastRequestAt);
        await ResetAsync(Totals with
        {
            LatencyMaxMs = extremes.LatencyMaxMs, FirstRequestAt = extremes.FirstRequestAt, LastRequestAt = extremes.LastRequestAt,
        });
        return true;
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
