using SampleMind.Analytics.ModelVersions;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.ModelVersions;

/// <summary>The model-version rollup: every figure is per event, so an ingest's delta is its new events' own figures.</summary>
/// <remarks>Keys past the model-version ceiling are counted under "(other)" (<see cref="DimensionRegistry"/>).</remarks>
public sealed class ModelVersionUserRollup(
    IModelVersionDeltaSink sink,
    DimensionRegistry registry,
    IGrainFactory grains,
    Npgsql.NpgsqlDataSource? dataSource = null) : IUserRollup
{
    /// <summary>Per-event figures: a merge moves none of them.</summary>
    public bool CountsPeople => false;

    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events) => CaptureOf(events, erase: false);

    /// <summary>The erased events' figures negated (their extremes are restated from the log by the erasure).</summary>
    public IUserRollupCapture BeginErase(UserModel model, IReadOnlyList<EventFacts> events) => CaptureOf(events, erase: true);

    /// <summary>
    /// The extremes (largest latency, first and last request) of each version the erased events touched, restated from
    /// the log that remains: each grain begins collecting the extremes it applies, the log is read, and the grain merges
    /// both (<see cref="IModelVersionGrain.CompleteRestateAsync"/>).
    /// </summary>
    public async Task AfterEraseAsync(IReadOnlyList<EventFacts> erased, IReadOnlyList<string> erasedKeys, Guid jobId)
    {
        if (dataSource is null)
        {
            return;
        }
        var keys = ModelVersionFigures.Of(erased).Where(f => f.Value.Requests > 0)
            .Select(f => registry.Map(DimensionRegistry.ModelVersions, f.Key)).Distinct(StringComparer.Ordinal).ToArray();
        for (var attempt = 0; keys.Length > 0; attempt++)
        {
            var restate = Guid.NewGuid();
            await Task.WhenAll(keys.Select(k => grains.GetGrain<IModelVersionGrain>(k).BeginRestateAsync(restate)));
            var remaining = await ModelVersionOracle.ExtremesAsync(dataSource, keys, erasedKeys);
            var done = await Task.WhenAll(keys.Select(async k =>
                (Key: k, Done: await grains.GetGrain<IModelVersionGrain>(k).CompleteRestateAsync(restate, remaining.GetValueOrDefault(k, ModelVersionExtremes.None)))));
            keys = [.. done.Where(d => !d.Done).Select(d => d.Key)];
            if (keys.Length > 0 && attempt >= 4)
            {
                throw new InvalidOperationException($"erasure {jobId}: the extremes of {keys.Length} model versions could not be restated");
            }
        }
    }

    private IUserRollupCapture CaptureOf(IReadOnlyList<EventFacts> events, bool erase)
    {
        var figures = ModelVersionFigures.Of(events);
        if (figures.Count == 0)
        {
            return Nothing.Instance;
        }
        var mapped = new Dictionary<string, ModelVersionFigures>(StringComparer.Ordinal);
        foreach (var (key, f) in figures)
        {
            var into = registry.Map(DimensionRegistry.ModelVersions, key);
            if (mapped.TryGetValue(into, out var sum))
            {
                sum.Add(f);
            }
            else
            {
                mapped[into] = f;
            }
        }
        if (erase)
        {
            foreach (var key in mapped.Keys.ToArray())
            {
                mapped[key] = mapped[key].Negated();
            }
        }
        return new Capture(sink, mapped);
    }

    private sealed class Capture(IModelVersionDeltaSink sink, Dictionary<string, ModelVersionFigures> figures) : IUserRollupCapture
    {
        public void Complete(UserModel model) => sink.Add(figures);
    }

    private sealed class Nothing : IUserRollupCapture
    {
        public static readonly Nothing Instance = new();

        public void Complete(UserModel model)
        {
        }
    }
}
