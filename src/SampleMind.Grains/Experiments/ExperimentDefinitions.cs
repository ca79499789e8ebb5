using SampleMind.Analytics.Experiments;
using SampleMind.Analytics.Users;

namespace SampleMind.Experiments;

/// <summary>
/// A silo's copy of every experiment definition (from <see cref="IExperimentCatalogGrain"/>). User grains call
/// <see cref="ResolveAsync"/> with the experiments their new events expose before those events are stored, so the
/// rollup (synchronous, no I/O) knows every experiment an exposure names that exists by then.
/// </summary>
public sealed class ExperimentDefinitions(IGrainFactory grains)
{
    private volatile Snapshot _current = new(0, new Dictionary<string, ExperimentDefinition>(StringComparer.Ordinal));
    private readonly SemaphoreSlim _refresh = new(1, 1);

    /// <summary>The definitions as one immutable view.</summary>
    public IReadOnlyDictionary<string, ExperimentDefinition> Current => _current.Definitions;

    /// <summary>The experiment keys the events expose.</summary>
    public static IEnumerable<string> ExposedIn(IEnumerable<EventFacts> events)
        => events.Where(e => e.Name is EventNames.ExperimentViewed or EventNames.SegmentExperimentViewed && e.ExperimentId is not null)
            .Select(e => e.ExperimentId!);

    /// <summary>Refreshes from the catalogue when any of <paramref name="keys"/> is unknown here (one cheap call when nothing changed).</summary>
    public async Task ResolveAsync(IEnumerable<string> keys)
    {
        var wanted = keys as IReadOnlyCollection<string> ?? [.. keys];
        if (wanted.All(_current.Definitions.ContainsKey))
        {
            return;
        }
        await RefreshAsync();
    }

    /// <summary>Reads the catalogue if it changed since this silo's copy (one call that answers null when it did not).</summary>
    public async Task RefreshAsync()
    {
        await _refresh.WaitAsync();
        try
        {
            var changed = await grains.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ChangedSinceAsync(_current.Version);
            if (changed is { } c)
            {
                _current = new Snapshot(c.Version, c.Specs.ToDictionary(s => s.Key, s => s.ToDefinition(), StringComparer.Ordinal));
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    private sealed record class Snapshot(long Version, Dictionary<string, ExperimentDefinition> Definitions);
}
