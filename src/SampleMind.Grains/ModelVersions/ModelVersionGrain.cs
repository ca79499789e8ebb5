using SampleMind.Analytics.ModelVersions;
using SampleMind.Rollups;

namespace SampleMind.ModelVersions;

[GenerateSerializer, Alias("sm.model-version-state")]
public sealed class ModelVersionState
{
    [Id(0)] public ModelVersionTotals Totals { get; set; } = new();

    /// <summary>The last sequence applied per source (a silo incarnation's pre-aggregator), so retried flushes count once.</summary>
    [Id(1)] public Dictionary<string, long> Applied { get; set; } = [];

    /// <summary>Whether the catalogue knows this version.</summary>
    [Id(2)] public bool Catalogued { get; set; }
}

/// <summary>The figures of one AI-model version, keyed "model@version".</summary>
public sealed class ModelVersionGrain(
    [PersistentState("model-version", "Default")] IPersistentState<ModelVersionState> state) : Grain, IModelVersionGrain
{
    public async Task ApplyAsync(ModelVersionTotals delta, string source, long sequence)
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

    public Task<ModelVersionRow> GetAsync() => Task.FromResult(state.State.Totals.ToFigures().ToRow(this.GetPrimaryKeyString()));

    public Task<ModelVersionTotals> GetTotalsAsync() => Task.FromResult(state.State.Totals);

    public async Task ResetAsync(ModelVersionTotals totals)
    {
        state.State.Totals = totals;
        await CatalogueAsync();
        await state.WriteStateAsync();
    }

    private async Task CatalogueAsync()
    {
        if (!state.State.Catalogued)
        {
            await GrainFactory.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.ModelVersions).AddAsync(this.GetPrimaryKeyString());
            state.State.Catalogued = true;
        }
    }
}
