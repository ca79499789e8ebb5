using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Campaigns;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Campaigns;

/// <summary>
/// The campaign rollup: a person's shares (first touch and last touch, <see cref="CampaignAttribution"/>) after the
/// events minus before. A merge moves the anonymous rows into the person, so the person's touches include the anonymous
/// visit's and the merged key's grain takes its own shares back: campaigns count people.
/// </summary>
/// <remarks>Campaigns past the ceiling are counted under "(other)" (<see cref="DimensionRegistry"/>).</remarks>
public sealed class CampaignUserRollup(CampaignPreAggregator sink, DimensionRegistry registry) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events) => new Capture(sink, registry, SharesOf(registry, model));

    private static Dictionary<string, CampaignAttribution> SharesOf(DimensionRegistry registry, UserModel model)
        => CampaignAttribution.SharesOf(model, c => registry.Map(DimensionRegistry.Campaigns, c));

    private sealed class Capture(CampaignPreAggregator sink, DimensionRegistry registry, Dictionary<string, CampaignAttribution> before)
        : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            foreach (var (campaign, delta) in CampaignAttribution.Difference(before, SharesOf(registry, model)))
            {
                sink.Add(campaign, delta);
            }
        }
    }
}

/// <summary>The per-silo campaign pre-aggregator, flushed to the campaign grains every flush interval (500 ms by default).</summary>
public sealed class CampaignPreAggregator : IRollupFlushTarget
{
    private readonly PreAggregator<string, CampaignAttribution> _campaigns;

    public CampaignPreAggregator(IGrainFactory grains, ILogger<CampaignPreAggregator> logger)
        => _campaigns = new(
            name: "campaigns",
            create: () => new CampaignAttribution(),
            merge: (into, delta) => into.Add(delta),
            isZero: d => d.IsZero,
            send: (campaign, delta, source, sequence) => grains.GetGrain<ICampaignGrain>(campaign)
                .ApplyAsync(delta.FirstTouch.ToWire(), delta.LastTouch.ToWire(), source, sequence),
            logger: logger);

    public void Add(string campaign, CampaignAttribution delta) => _campaigns.Add(campaign, delta);

    public Task FlushAsync(CancellationToken cancellationToken) => _campaigns.FlushAsync(cancellationToken);

    public bool IsIdle => _campaigns.IsIdle;
}
