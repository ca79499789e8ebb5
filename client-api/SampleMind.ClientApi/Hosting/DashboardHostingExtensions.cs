using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.ClientApi.Dashboard;

namespace SampleMind.ClientApi.Hosting;

public static class DashboardHostingExtensions
{
    /// <summary>The dashboard's options (validated at start) and the shared live snapshot; map it with <c>MapDashboard()</c>.</summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DashboardOptions>()
            .BindConfiguration(DashboardOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<LiveSnapshotSource>();
        return builder;
    }
}
