using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Experiments;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Experiments;

/// <summary>The experiment rollup: a person's share of each experiment they were exposed to, after the events minus before.</summary>
public sealed class ExperimentUserRollup(ExperimentPreAggregator sink, ExperimentDefinitions definitions) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
    {
        var known = definitions.Current;
        if (model.Exposures.IsEmpty && !ExperimentDefinitions.ExposedIn(events).Any())
        {
            return NoExposure.Instance;
        }
        return new Capture(sink, known, SharesOf(model, known));
    }

    private static Dictionary<string, (string Variant, VariantFigures Share)?> SharesOf(UserModel model, IReadOnlyDictionary<string, ExperimentDefinition> known)
    {
        var shares = new Dictionary<string, (string, VariantFigures)?>(StringComparer.Ordinal);
        foreach (var exposure in model.Exposures)
        {
            if (known.TryGetValue(exposure.Experiment, out var experiment))
            {
                shares[exposure.Experiment] = ExperimentFigures.ShareOf(model, experiment);
            }
        }
        return shares;
    }

    private sealed class Capture(ExperimentPreAggregator sink, IReadOnlyDictionary<string, ExperimentDefinition> known,
        Dictionary<string, (string Variant, VariantFigures Share)?> before) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            var after = SharesOf(model, known);
            foreach (var key in before.Keys.Union(after.Keys))
            {
                var delta = ExperimentFigures.Difference(before.GetValueOrDefault(key), after.GetValueOrDefault(key));
                if (!delta.IsZero)
                {
                    sink.Add(key, delta);
                }
            }
        }
    }

    private sealed class NoExposure : IUserRollupCapture
    {
        public static readonly NoExposure Instance = new();

        public void Complete(UserModel model)
        {
        }
    }
}

/// <summary>The per-silo experiment pre-aggregator, flushed to the experiment grains with the other rollups.</summary>
public sealed class ExperimentPreAggregator : IRollupFlushTarget
{
    private readonly PreAggregator<string, ExperimentFigures> _experiments;

    public ExperimentPreAggregator(IGrainFactory grains, ILogger<ExperimentPreAggregator> logger)
        => _experiments = new("experiments", () => new ExperimentFigures(), (into, delta) => into.Add(delta), d => d.IsZero,
            (key, delta, source, sequence) => grains.GetGrain<IExperimentGrain>(key).ApplyAsync(delta.ToWire(), source, sequence),
            logger);

    public void Add(string experiment, ExperimentFigures delta) => _experiments.Add(experiment, delta);

    public Task FlushAsync(CancellationToken cancellationToken) => _experiments.FlushAsync(cancellationToken);

    public bool IsIdle => _experiments.IsIdle;
}
