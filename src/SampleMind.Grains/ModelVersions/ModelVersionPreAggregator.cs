using Microsoft.Extensions.Logging;
using SampleMind.Analytics.ModelVersions;
using SampleMind.Rollups;

namespace SampleMind.ModelVersions;

/// <summary>Where user grains report their model-version figures.</summary>
public interface IModelVersionDeltaSink
{
    void Add(IReadOnlyDictionary<string, ModelVersionFigures> deltas);
}

/// <summary>The per-silo model-version pre-aggregator, flushed to the version grains every flush interval (500 ms by default).</summary>
public sealed class ModelVersionPreAggregator : IModelVersionDeltaSink, IRollupFlushTarget
{
    private readonly PreAggregator<string, ModelVersionFigures> _versions;

    public ModelVersionPreAggregator(IGrainFactory grains, ILogger<ModelVersionPreAggregator> logger)
        => _versions = new("model-versions", () => new ModelVersionFigures(), (into, delta) => into.Add(delta), d => d.IsZero,
            (key, delta, source, sequence) => grains.GetGrain<IModelVersionGrain>(key).ApplyAsync(delta.ToWire(), source, sequence),
            logger);

    public void Add(IReadOnlyDictionary<string, ModelVersionFigures> deltas)
    {
        foreach (var (key, delta) in deltas)
        {
            _versions.Add(key, delta);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => _versions.FlushAsync(cancellationToken);

    public bool IsIdle => _versions.IsIdle;
}
