using Microsoft.Extensions.Logging;
using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Rollups;

namespace SampleMind.Features;

/// <summary>Where user grains report their feature and activity-week deltas.</summary>
public interface IFeatureDeltaSink
{
    void Add(IReadOnlyDictionary<string, FeatureFigures> features, IReadOnlyDictionary<int, ActivityWeekFigures> weeks);
}

/// <summary>
/// The per-silo feature pre-aggregator: feature deltas to the feature grains, activity-week deltas to the week grains,
/// every flush interval (500 ms by default), each under its own (source, sequence).
/// </summary>
public sealed class FeaturePreAggregator : IFeatureDeltaSink, IRollupFlushTarget
{
    private readonly PreAggregator<string, FeatureFigures> _features;
    private readonly PreAggregator<int, ActivityWeekFigures> _weeks;

    public FeaturePreAggregator(IGrainFactory grains, ILogger<FeaturePreAggregator> logger)
    {
        _features = new(
            name: "features",
            create: () => new FeatureFigures(),
            merge: (into, delta) => into.Add(delta),
            isZero: d => d.IsZero,
            send: (feature, delta, source, sequence) => grains.GetGrain<IFeatureGrain>(feature).ApplyAsync(delta.ToWire(), source, sequence),
            logger: logger);
        _weeks = new(
            name: "activity-weeks",
            create: () => new ActivityWeekFigures(),
            merge: (into, delta) => into.Add(delta),
            isZero: d => d.IsZero,
            send: (week, delta, source, sequence) =>
                grains.GetGrain<IActivityWeekGrain>(FeatureMapping.WeekKey(week)).ApplyAsync(delta.ToWire(), source, sequence),
            logger: logger);
    }

    public void Add(IReadOnlyDictionary<string, FeatureFigures> features, IReadOnlyDictionary<int, ActivityWeekFigures> weeks)
    {
        foreach (var (feature, delta) in features)
        {
            _features.Add(feature, delta);
        }
        foreach (var (week, delta) in weeks)
        {
            _weeks.Add(week, delta);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken)
        => Task.WhenAll(_features.FlushAsync(cancellationToken), _weeks.FlushAsync(cancellationToken));

    public bool IsIdle => _features.IsIdle && _weeks.IsIdle;
}
