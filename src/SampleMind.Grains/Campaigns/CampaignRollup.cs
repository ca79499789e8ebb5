using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Campaigns;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Campaigns;

/// <summary>The campaign rollup: a user's first-touch share after the events minus before.</summary>
/// <remarks>Campaigns past the ceiling are counted under "(other)" (<see cref="DimensionRegistry"/>).</remarks>
public sealed class CampaignUserRollup(CampaignPreAggregator sink, DimensionRegistry registry) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events) => new Capture(sink, registry, Mapped(registry, CampaignFigures.Of(model)));

    private static (string Campaign, CampaignFigures Share)? Mapped(DimensionRegistry registry, (string Campaign, CampaignFigures Share)? share)
        => share is { } s ? (registry.Map(DimensionRegistry.Campaigns, s.Campaign), s.Share) : null;

    private sealed class Capture(CampaignPreAggregator sink, DimensionRegistry registry, (string Campaign, CampaignFigures Share)? before) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            foreach (var (campaign, delta) in CampaignFigures.Difference(before, Mapped(registry, CampaignFigures.Of(model))))
            {
                sink.Add(campaign, delta);
            }
        }
    }
}

/// <summary>The per-silo campaign pre-aggregator, flushed to the campaign grains every flush interval (500 ms by default).</summary>
public sealed class CampaignPreAggregator : IRollupFlushTarget
{
    private readonly PreAggregator<string, CampaignFigures> _campaigns;

    public CampaignPreAggregator(IGrainFactory grains, ILogger<CampaignPreAggregator> logger)
        => _campaigns = new("campaigns", () => new CampaignFigures(), (into, delta) => into.Add(delta), d => d.IsZero,
            (campaign, delta, source, sequence) => grains.GetGrain<ICampaignGrain>(campaign).ApplyAsync(delta.ToWire(), source, sequence),
            logger);

    public void Add(string campaign, CampaignFigures delta) => _campaigns.Add(campaign, delta);

    public Task FlushAsync(CancellationToken cancellationToken) => _campaigns.FlushAsync(cancellationToken);

    public bool IsIdle => _campaigns.IsIdle;
}
