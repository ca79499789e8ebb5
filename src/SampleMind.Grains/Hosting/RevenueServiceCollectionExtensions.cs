using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.Revenue;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Hosting;

public static class RevenueServiceCollectionExtensions
{
    /// <summary>The MRR movement rollup (Stripe subscriptions): its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindMrr(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton<MrrPreAggregator>();
        services.TryAddSingleton<IMrrDeltaSink>(sp => sp.GetRequiredService<MrrPreAggregator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, MrrPreAggregator>(sp => sp.GetRequiredService<MrrPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, MrrUserRollup>());
        return services;
    }
}
