using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.Churn;
using SampleMind.Ingest;
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
        services.TryAddSingleton<IChurnScorer, RuleChurnScorer>();
        services.AddSampleMindKpis();
        services.AddSampleMindModelVersions();
        services.AddSampleMindCohorts();
        services.AddSampleMindCampaigns();
        services.AddSampleMindFunnels();
        services.AddSampleMindAlerts();
        return services;
    }
}
