using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SampleMind.Churn;
using SampleMind.Ingest;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Hosting;

public static class UserServiceCollectionExtensions
{
    /// <summary>
    /// The services user grains need on a silo: the group-committing PostgreSQL event log (needs an
    /// <see cref="Npgsql.NpgsqlDataSource"/> in DI), the snapshot options and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddSampleMindUsers(this IServiceCollection services)
    {
        services.AddOptions<EventLogOptions>().BindConfiguration("EventLog").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<UserGrainOptions>().BindConfiguration("Users").ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IUserEventLog, PostgresUserEventLog>();
        services.TryAddSingleton<Identity.IIdentityLinks, Identity.PostgresIdentityLinks>();
        services.AddOptions<Identity.MergeCrashOptions>().BindConfiguration(Identity.MergeCrashOptions.SectionName)
            .Validate<IHostEnvironment>((o, environment) => o.CrashAfterStep is null || !environment.IsProduction(),
                "Identity:Test:CrashAfterStep is a test-only fault hook (it kills the silo mid-merge) and is refused in the Production environment")
            .ValidateOnStart();
        services.TryAddSingleton<Identity.MergeCrashHook>();
        services.TryAddSingleton<IChurnScorer, RuleChurnScorer>();
        services.TryAddSingleton<UserRollups>();
        services.AddOptions<CardinalityOptions>().BindConfiguration("Cardinality").ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<DimensionRegistry>();
        services.AddSampleMindUserIndex();
        services.AddSampleMindErasure();
        services.AddSampleMindKpis();
        services.AddSampleMindModelVersions();
        services.AddSampleMindCohorts();
        services.AddSampleMindFeatures();
        services.AddSampleMindSegments();
        services.AddSampleMindCampaigns();
        services.AddSampleMindFunnels();
        services.AddSampleMindAlerts();
        services.AddSampleMindRetention();
        services.AddSampleMindExperiments();
        services.AddSampleMindMrr();
        return services;
    }

    /// <summary>The experiment rollup: the silo's copy of the definitions, the user-grain hook and the pre-aggregator.</summary>
    public static IServiceCollection AddSampleMindExperiments(this IServiceCollection services)
    {
        services.AddSampleMindRollups();
        services.TryAddSingleton<Experiments.ExperimentDefinitions>();
        services.TryAddSingleton<Experiments.ExperimentPreAggregator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, Experiments.ExperimentPreAggregator>(sp => sp.GetRequiredService<Experiments.ExperimentPreAggregator>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUserRollup, Experiments.ExperimentUserRollup>());
        return services;
    }

    /// <summary>What user grains need to erase a person: the "Privacy" options (validated at start), the job store and the test-only crash hook.</summary>
    public static IServiceCollection AddSampleMindErasure(this IServiceCollection services)
    {
        services.AddOptions<Privacy.ErasureOptions>().BindConfiguration(Privacy.ErasureOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Privacy.ErasureStore>();
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<Privacy.ErasureOptions>>().Value;
            return new Analytics.Privacy.PiiProtector(options.PiiAtRest, options.PiiKey);
        });
        services.AddOptions<Privacy.ErasureCrashOptions>().BindConfiguration(Privacy.ErasureCrashOptions.SectionName)
            .Validate<IHostEnvironment>((o, environment) => o.CrashAfterStage is null || !environment.IsProduction(),
                "Privacy:Test:CrashAfterStage is a test-only fault hook (it kills the silo mid-erasure) and is refused in the Production environment")
            .ValidateOnStart();
        services.TryAddSingleton<Privacy.ErasureCrashHook>();
        services.AddOptions<Privacy.RetentionOptions>().BindConfiguration(Privacy.RetentionOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.FinancialDays >= o.AnalyticsDays,
                "Privacy:Retention:FinancialDays must not be shorter than AnalyticsDays (financial records outlive the raw events)")
            .ValidateOnStart();
        services.TryAddSingleton<Privacy.RetentionStore>();
        return services;
    }

    /// <summary>The silo's erasure job runner (claims the jobs client-api writes, under a lease) and the retention job's schedule.</summary>
    public static IServiceCollection AddSampleMindErasureRunner(this IServiceCollection services)
    {
        services.AddSampleMindErasure();
        services.TryAddSingleton<Privacy.ErasureRunner>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, Privacy.ErasureRunner>(
            sp => sp.GetRequiredService<Privacy.ErasureRunner>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, Privacy.RetentionScheduler>());
        return services;
    }

    /// <summary>The user index: its per-silo writer (flushed with the rollups), its refresher and its read grain.</summary>
    public static IServiceCollection AddSampleMindUserIndex(this IServiceCollection services)
    {
        services.AddOptions<UserIndexOptions>().BindConfiguration("UserIndex").ValidateDataAnnotations().ValidateOnStart();
        services.AddSampleMindRollups();
        services.TryAddSingleton<PostgresUserIndex>();
        services.TryAddSingleton<IUserIndexSink>(sp => sp.GetRequiredService<PostgresUserIndex>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRollupFlushTarget, PostgresUserIndex>(sp => sp.GetRequiredService<PostgresUserIndex>()));
        services.TryAddSingleton<UserIndexRefresher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, UserIndexRefresher>(sp => sp.GetRequiredService<UserIndexRefresher>()));
        return services;
    }
}
