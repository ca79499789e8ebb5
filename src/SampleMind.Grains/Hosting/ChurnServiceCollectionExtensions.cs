using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.Churn;

namespace SampleMind.Hosting;

public static class ChurnServiceCollectionExtensions
{
    /// <summary>
    /// The trained churn model on a silo: the scorer user grains use (the promoted version, rules@1 until one is), the
    /// registry in PostgreSQL (needs an <see cref="Npgsql.NpgsqlDataSource"/>) and the poller that follows promotions.
    /// Call before <see cref="UserServiceCollectionExtensions.AddSampleMindUsers"/>, which falls back to the rules.
    /// </summary>
    public static IServiceCollection AddSampleMindChurnModels(this IServiceCollection services)
    {
        services.AddOptions<ChurnModelOptions>().BindConfiguration(ChurnModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ChurnModelStore>();
        services.AddSingleton<ModelChurnScorer>();
        services.AddSingleton<IChurnScorer>(sp => sp.GetRequiredService<ModelChurnScorer>());
        services.AddSingleton<ChurnModelRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<ChurnModelRefresher>());
        return services;
    }
}
