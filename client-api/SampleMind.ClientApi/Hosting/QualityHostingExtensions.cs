using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.ClientApi.Quality;

namespace SampleMind.ClientApi.Hosting;

/// <summary>
/// Registers data quality (issue 17.7): the write-behind of ingest's counts and the report behind <c>GET /api/quality</c>.
/// </summary>
public static class QualityHostingExtensions
{
    /// <summary>
    /// The <see cref="IngestQualityWriter"/> (as a hosted service) and <see cref="QualityReports"/>; both need the host's
    /// <c>NpgsqlDataSource</c> (<c>AddClientApi()</c>). Ingest counts without them (<c>AddIngest()</c>), in memory only.
    /// </summary>
    public static IHostApplicationBuilder AddDataQuality(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<IngestQualityCounters>();
        builder.Services.AddSingleton<IngestQualityWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestQualityWriter>());
        builder.Services.AddSingleton<QualityReports>();
        return builder;
    }
}
