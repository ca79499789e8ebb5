using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Cohorts;
using SampleMind.Rollups;

namespace SampleMind.Cohorts;

/// <summary>Where user grains report their cohort deltas.</summary>
public interface ICohortDeltaSink
{
    void Add(IReadOnlyDictionary<string, CohortFigures> deltas);
}

/// <summary>The per-silo cohort pre-aggregator, flushed to the cohort grains every flush interval (500 ms by default).</summary>
public sealed class CohortPreAggregator : ICohortDeltaSink, IRollupFlushTarget
{
    private readonly PreAggregator<string, CohortFigures> _cohorts;

    public CohortPreAggregator(IGrainFactory grains, ILogger<CohortPreAggregator> logger)
        => _cohorts = new("cohorts", () => new CohortFigures(), (into, delta) => into.Add(delta), d => d.IsZero,
            (cohort, delta, source, sequence) => grains.GetGrain<ICohortGrain>(cohort).ApplyAsync(delta.ToWire(), source, sequence),
            logger);

    public void Add(IReadOnlyDictionary<string, CohortFigures> deltas)
    {
        foreach (var (cohort, delta) in deltas)
        {
            _cohorts.Add(cohort, delta);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => _cohorts.FlushAsync(cancellationToken);

    public bool IsIdle => _cohorts.IsIdle;
}
