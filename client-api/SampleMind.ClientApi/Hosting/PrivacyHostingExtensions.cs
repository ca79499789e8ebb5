using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Privacy;

namespace SampleMind.ClientApi.Hosting;

public static class PrivacyHostingExtensions
{
    /// <summary>The "Privacy" options (validated at start), the read audit, the export writer, the small-group threshold and the erasure jobs.</summary>
    public static WebApplicationBuilder AddPrivacy(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PrivacyOptions>()
            .BindConfiguration(PrivacyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<PersonHash>();
        builder.Services.AddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<PrivacyOptions>>().Value;
            return new Analytics.Privacy.PiiProtector(options.PiiAtRest, options.PiiKey);
        });
        builder.Services.AddSingleton<ReadAuditLog>();
        builder.Services.AddSingleton<UserExportWriter>();
        builder.Services.AddSingleton<SmallGroupPolicy>();
        builder.Services.AddSingleton<ErasureJobs>();
        return builder;
    }
}
