using Orleans.Concurrency;

namespace SampleMind.Rollups;

[GenerateSerializer, Alias("sm.rollup-catalog-state")]
public sealed class RollupCatalogState
{
    [Id(0)] public SortedSet<string> Keys { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The keys of one kind of aggregate grain; each aggregate grain adds itself once. Additions are group-committed: keys
/// that arrive while a write is in flight wait together for the next one, so a thousand new grains cost a handful of
/// writes, not a thousand writes of a growing key set one after the other. <see cref="AddAsync"/> completes only once
/// a write that carries the key has succeeded.
/// </summary>
[Reentrant]
public sealed class RollupCatalogGrain(
    [PersistentState("rollup-catalog", "Default")] IPersistentState<RollupCatalogState> state) : Grain, IRollupCatalogGrain
{
    private readonly SortedSet<string> waiting = new(StringComparer.Ordinal); // added, not yet in any write
    private HashSet<string> carried = new(StringComparer.Ordinal);            // the keys the write in flight adds
    private Task? nextWrite;                                                   // the write that will carry `waiting`
    private Task? inFlight;

    public Task AddAsync(string key)
    {
        if (waiting.Contains(key) || (!state.State.Keys.Contains(key) && waiting.Add(key)))
        {
            return nextWrite ??= WriteWaitingAsync();
        }
        return inFlight is { } write && carried.Contains(key) ? write : Task.CompletedTask;
    }

    public Task<string[]> GetKeysAsync() => Task.FromResult(state.State.Keys.Union(waiting, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());

    public Task<bool> ContainsAsync(string key) => Task.FromResult(state.State.Keys.Contains(key) || waiting.Contains(key));

    private async Task WriteWaitingAsync()
    {
        // Yield first, so the caller's `nextWrite ??=` is in place before this write stops taking keys.
        await Task.Yield();
        if (inFlight is { } previous)
        {
            try
            {
                await previous;
            }
            catch (Exception)
            {
                // Its callers saw the failure; this write carries the whole key set again.
            }
        }

        nextWrite = null;
        carried = [.. waiting];
        state.State.Keys.UnionWith(waiting);
        waiting.Clear();
        var write = state.WriteStateAsync();
        inFlight = write;
        try
        {
            await write;
        }
        catch (Exception)
        {
            // Not durable: the keys leave the state, so the callers' retries add them again rather than finding them.
            state.State.Keys.ExceptWith(carried);
            throw;
        }
        finally
        {
            if (inFlight == write)
            {
                inFlight = null;
                carried = new(StringComparer.Ordinal);
            }
        }
    }
}
