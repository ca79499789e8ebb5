using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Privacy;

namespace SampleMind.ClientApi.Hosting;

public static class PrivacyHostingExtensions
{
    /// <summary>The "Privacy" options (validated at start), the read audit, the export writer, the small-group threshold and the erasure jobs.</summary>
    public static WebApplicationBuilder AddPrivacy(this WebApplicationBuilder builder)
    {
        builder.Services.AddPiiProtection();
        builder.Services.AddSingleton<PersonHash>();
        builder.Services.AddSingleton<ReadAuditLog>();
        builder.Services.AddSingleton<UserExportWriter>();
        builder.Services.AddSingleton<SmallGroupPolicy>();
        builder.Services.AddSingleton<ErasureJobs>();
        return builder;
    }

    /// <summary>
    /// The "Privacy" options (validated at start) and the <see cref="Analytics.Privacy.PiiProtector"/> they configure:
    /// what ingest protects personal data with before storing it and the read side reveals it with. Idempotent.
    /// </summary>
    public static IServiceCollection AddPiiProtection(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(Analytics.Privacy.PiiProtector)))
        {
            return services;
        }
        services.AddOptions<PrivacyOptions>()
            .BindConfiguration(PrivacyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PrivacyOptions>>().Value;
            return new Analytics.Privacy.PiiProtector(options.PiiAtRest, options.PiiKey);
        });
        return services;
    }
}
