using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.Campaigns;
using SampleMind.FunnelMetrics;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Hosting;

public static class CampaignAndFunnelServiceCollectionExtensions
{
    /// <summary>The campaign rollup: its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindCampaigns(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CampaignPreAggregator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, CampaignPreAggregator>(sp => sp.GetRequiredService<CampaignPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, CampaignUserRollup>());
        return services;
    }

    /// <summary>The funnel rollup: its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindFunnels(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton<FunnelPreAggregator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, FunnelPreAggregator>(sp => sp.GetRequiredService<FunnelPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, FunnelUserRollup>());
        return services;
    }
}
