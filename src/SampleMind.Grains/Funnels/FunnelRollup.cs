using Microsoft.Extensions.Logging;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.FunnelMetrics;

/// <summary>
/// The funnel rollup: a user's funnel shares after the events minus before. Positions are compared first: most ingests
/// reach no new step, and those report nothing without building any figures.
/// </summary>
public sealed class FunnelUserRollup(FunnelPreAggregator sink) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
        => new Capture(sink, FunnelPosition.Of(model, Funnels.Activation), FunnelPosition.Of(model, Funnels.Monetization));

    private sealed class Capture(FunnelPreAggregator sink, FunnelPosition activation, FunnelPosition monetization) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            Report(Funnels.Activation, activation);
            Report(Funnels.Monetization, monetization);

            void Report(string funnel, FunnelPosition before)
            {
                var after = FunnelPosition.Of(model, funnel);
                if (after != before)
                {
                    sink.Add(funnel, FunnelFigures.Delta(before, after));
                }
            }
        }
    }
}

/// <summary>The per-silo funnel pre-aggregator, flushed to the funnel grains every flush interval (500 ms by default).</summary>
public sealed class FunnelPreAggregator : IRollupFlushTarget
{
    private readonly PreAggregator<string, Pending> _funnels;

    public FunnelPreAggregator(IGrainFactory grains, ILogger<FunnelPreAggregator> logger)
        => _funnels = new("funnels", () => new Pending(), (into, delta) => into.Merge(delta.Figures!), d => d.Figures is null || d.Figures.IsZero,
            (funnel, delta, source, sequence) => grains.GetGrain<IFunnelGrain>(funnel).ApplyAsync(delta.Figures!.ToWire(), source, sequence),
            logger);

    public void Add(string funnel, FunnelFigures delta) => _funnels.Add(funnel, new Pending { Figures = delta });

    public Task FlushAsync(CancellationToken cancellationToken) => _funnels.FlushAsync(cancellationToken);

    public bool IsIdle => _funnels.IsIdle;

    /// <summary>A funnel's merged delta; shaped by the first delta (the pre-aggregator creates entries without a key).</summary>
    private sealed class Pending
    {
        public FunnelFigures? Figures { get; set; }

        public void Merge(FunnelFigures delta)
        {
            Figures ??= new FunnelFigures(delta.StepUsers.Length);
            Figures.Add(delta);
        }
    }
}
