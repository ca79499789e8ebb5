using Microsoft.Extensions.DependencyInjection;
using SampleMind.Kpis;

namespace SampleMind.Hosting;

public static class KpiServiceCollectionExtensions
{
    /// <summary>The per-silo KPI pre-aggregator (a silo lifecycle participant) that user grains report to.</summary>
    public static IServiceCollection AddSampleMindKpis(this IServiceCollection services)
    {
        services.AddOptions<KpiOptions>().BindConfiguration("Kpis").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<KpiPreAggregator>();
        services.AddSingleton<IKpiDeltaSink>(sp => sp.GetRequiredService<KpiPreAggregator>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<KpiPreAggregator>());
        return services;
    }
}
