using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.Cohorts;
using SampleMind.Features;
using SampleMind.ModelVersions;
using SampleMind.Rollups;
using SampleMind.Segments;
using SampleMind.Users;

namespace SampleMind.Hosting;

public static class ModelVersionAndCohortServiceCollectionExtensions
{
    /// <summary>The AI-model-version rollup: its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindModelVersions(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton<ModelVersionPreAggregator>();
        services.TryAddSingleton<IModelVersionDeltaSink>(sp => sp.GetRequiredService<ModelVersionPreAggregator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, ModelVersionPreAggregator>(sp => sp.GetRequiredService<ModelVersionPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, ModelVersionUserRollup>());
        return services;
    }

    /// <summary>The signup-month cohort rollup: its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindCohorts(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton<CohortPreAggregator>();
        services.TryAddSingleton<ICohortDeltaSink>(sp => sp.GetRequiredService<CohortPreAggregator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, CohortPreAggregator>(sp => sp.GetRequiredService<CohortPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, CohortUserRollup>());
        return services;
    }

    /// <summary>The feature analytics rollup (features and activity weeks): its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindFeatures(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton<FeaturePreAggregator>();
        services.TryAddSingleton<IFeatureDeltaSink>(sp => sp.GetRequiredService<FeaturePreAggregator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, FeaturePreAggregator>(sp => sp.GetRequiredService<FeaturePreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, FeatureUserRollup>());
        return services;
    }

    /// <summary>The daily segment distribution rollup: its user-grain hook and its per-silo pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindSegments(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton<SegmentPreAggregator>();
        services.TryAddSingleton<ISegmentDeltaSink>(sp => sp.GetRequiredService<SegmentPreAggregator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, SegmentPreAggregator>(sp => sp.GetRequiredService<SegmentPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, SegmentUserRollup>());
        return services;
    }
}
