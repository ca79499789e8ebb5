using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SampleMind.Alerts;
using SampleMind.Outbox;
using SampleMind.Retention;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Hosting;

public static class GrowthServiceCollectionExtensions
{
    /// <summary>
    /// The webhook outbox (section "Outbox") and its per-silo dispatcher. Needs an <see cref="Npgsql.NpgsqlDataSource"/> in DI.
    /// </summary>
    public static IServiceCollection AddSampleMindOutbox(this IServiceCollection services)
    {
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<OutboxDispatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, OutboxDispatcher>(sp => sp.GetRequiredService<OutboxDispatcher>()));
        return services;
    }

    /// <summary>The alert rules (section "Alerts"), their per-silo signal pre-aggregator, the alert log and the outbox.</summary>
    public static IServiceCollection AddSampleMindAlerts(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.AddSampleMindOutbox();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>());
        services.TryAddSingleton<AlertLog>();
        services.TryAddSingleton<AlertSignalPreAggregator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, AlertSignalPreAggregator>(sp => sp.GetRequiredService<AlertSignalPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, AlertSignalUserRollup>());
        return services;
    }

    /// <summary>Retention campaigns: their store (targets come from the user index, actions go through the outbox).</summary>
    public static IServiceCollection AddSampleMindRetention(this IServiceCollection services)
    {
        services.AddSampleMindOutbox();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RetentionStore>();
        return services;
    }
}
