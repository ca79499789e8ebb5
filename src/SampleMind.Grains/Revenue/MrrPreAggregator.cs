using Microsoft.Extensions.Logging;
using SampleMind.Rollups;

namespace SampleMind.Revenue;

/// <summary>Where user grains report their MRR movement deltas, per month.</summary>
public interface IMrrDeltaSink
{
    void Add(IReadOnlyDictionary<string, MrrMonthFigures> deltas);
}

/// <summary>The per-silo MRR pre-aggregator, flushed to the month grains every flush interval.</summary>
public sealed class MrrPreAggregator : IMrrDeltaSink, IRollupFlushTarget
{
    private readonly PreAggregator<string, MrrMonthFigures> _months;

    public MrrPreAggregator(IGrainFactory grains, ILogger<MrrPreAggregator> logger)
        => _months = new(
            name: "mrr",
            create: () => new MrrMonthFigures(),
            merge: (into, delta) => into.Add(delta),
            isZero: d => d.IsZero,
            send: (month, delta, source, sequence) => grains.GetGrain<IMrrMonthGrain>(month).ApplyAsync(delta.ToWire(), source, sequence),
            logger: logger);

    public void Add(IReadOnlyDictionary<string, MrrMonthFigures> deltas)
    {
        foreach (var (month, delta) in deltas)
        {
            _months.Add(month, delta);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => _months.FlushAsync(cancellationToken);

    public bool IsIdle => _months.IsIdle;
}
