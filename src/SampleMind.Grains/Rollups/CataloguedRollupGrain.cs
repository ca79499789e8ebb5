namespace SampleMind.Rollups;

/// <summary>The state of an aggregate grain that lists itself in a catalogue.</summary>
[GenerateSerializer, Alias("sm.catalogued-rollup-state")]
public sealed class CataloguedRollupState<TTotals> where TTotals : new()
{
    [Id(0)] public TTotals Totals { get; set; } = new();

    [Id(1)] public FlushLedger Applied { get; set; } = new();

    /// <summary>Whether the catalogue knows this grain.</summary>
    [Id(2)] public bool Catalogued { get; set; }
}

/// <summary>
/// An aggregate grain fed by per-silo pre-aggregators (sequence-deduplicated deltas), rewritable by reconcile --fix, and
/// listed once in a <see cref="IRollupCatalogGrain"/> so queries need no scan of activations.
/// </summary>
public abstract class CataloguedRollupGrain<TTotals>(IPersistentState<CataloguedRollupState<TTotals>> state, string catalogue) : Grain
    where TTotals : new()
{
    protected TTotals Totals => state.State.Totals;

    /// <summary>The totals with <paramref name="delta"/> added.</summary>
    protected abstract TTotals Add(TTotals totals, TTotals delta);

    public async Task ApplyAsync(TTotals delta, string source, long sequence)
    {
        if (!state.State.Applied.Accept(source, sequence))
        {
            return;
        }
        state.State.Totals = Add(state.State.Totals, delta);
        await CatalogueAsync();
        await this.WriteOrDeactivateAsync(state);
    }

    public Task<TTotals> GetTotalsAsync() => Task.FromResult(state.State.Totals);

    public async Task ResetAsync(TTotals totals)
    {
        state.State.Totals = totals;
        await CatalogueAsync();
        await this.WriteOrDeactivateAsync(state);
    }

    private async Task CatalogueAsync()
    {
        if (!state.State.Catalogued)
        {
            await GrainFactory.GetGrain<IRollupCatalogGrain>(catalogue).AddAsync(this.GetPrimaryKeyString());
            state.State.Catalogued = true;
        }
    }
}
