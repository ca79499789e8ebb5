namespace SampleMind.Rollups;

[GenerateSerializer, Alias("sm.rollup-catalog-state")]
public sealed class RollupCatalogState
{
    [Id(0)] public SortedSet<string> Keys { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The keys of one kind of aggregate grain; each aggregate grain adds itself once.</summary>
public sealed class RollupCatalogGrain(
    [PersistentState("rollup-catalog", "Default")] IPersistentState<RollupCatalogState> state) : Grain, IRollupCatalogGrain
{
    public async Task AddAsync(string key)
    {
        if (state.State.Keys.Add(key))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<string[]> GetKeysAsync() => Task.FromResult(state.State.Keys.ToArray());

    public Task<bool> ContainsAsync(string key) => Task.FromResult(state.State.Keys.Contains(key));
}
