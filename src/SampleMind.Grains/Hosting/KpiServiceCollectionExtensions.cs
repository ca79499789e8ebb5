using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.Kpis;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Hosting;

public static class KpiServiceCollectionExtensions
{
    /// <summary>The flush service that drives every per-silo pre-aggregator (once per silo).</summary>
    public static IServiceCollection AddSampleMindRollups(this IServiceCollection services)
    {
        services.AddOptions<RollupOptions>().BindConfiguration("Rollups").ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<RollupFlushService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, RollupFlushService>(sp => sp.GetRequiredService<RollupFlushService>()));
        return services;
    }

    /// <summary>The KPI day/week rollup: its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindKpis(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.AddOptions<Revenue.RevenueOptions>().BindConfiguration("Revenue").ValidateOnStart();
        services.TryAddSingleton<KpiPreAggregator>();
        services.TryAddSingleton<IKpiDeltaSink>(sp => sp.GetRequiredService<KpiPreAggregator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, KpiPreAggregator>(sp => sp.GetRequiredService<KpiPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, KpiUserRollup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, KpiQualityUserRollup>());
        return services;
    }
}
