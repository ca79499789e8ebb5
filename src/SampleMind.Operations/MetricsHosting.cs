using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace SampleMind.Operations;

/// <summary>The "Metrics" section: the Prometheus scrape endpoint of a host.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>Export metrics at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The scrape path.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// Answer scrapes from other machines (Prometheus in a Kubernetes cluster: deploy/k8s sets it). Off: only a
    /// loopback peer is answered (others get 403), unless it brings <see cref="Key"/>.
    /// </summary>
    public bool AllowRemote { get; set; }

    /// <summary>A bearer key that opens the endpoint to any peer (Prometheus' <c>authorization</c> setting), when set.</summary>
    public string? Key { get; set; }
}

public static class MetricsHosting
{
    /// <summary>
    /// OpenTelemetry metrics: the product's meter, Orleans' meters (<c>Microsoft.Orleans</c>), ASP.NET Core's and the
    /// .NET runtime's, for the Prometheus exporter. <paramref name="serviceName"/> becomes the <c>service.name</c> resource.
    /// </summary>
    public static IServiceCollection AddSampleMindMetrics(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var options = configuration.GetSection(MetricsOptions.SectionName).Get<MetricsOptions>() ?? new MetricsOptions();
        services.AddSingleton(options);
        if (!options.Enabled)
        {
            return services;
        }
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(SampleMindMetrics.MeterName, SampleMindMetrics.MeterName + ".*", "Microsoft.Orleans") // SampleMind.Resilience too
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddView(SampleMindMetrics.DurableAckDuration.Name, new ExplicitBucketHistogramConfiguration
                {
                    Boundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
                })
                .AddView(SampleMindMetrics.RollupFreshness.Name, new ExplicitBucketHistogramConfiguration
                {
                    Boundaries = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
                })
                .AddView(SampleMindMetrics.RollupFlushDuration.Name, new ExplicitBucketHistogramConfiguration
                {
                    Boundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
                })
                .AddPrometheusExporter());
        return services;
    }

    /// <summary>The scrape endpoint (<see cref="MetricsOptions.Path"/>): loopback peers, or anyone when allowed or keyed.</summary>
    public static IEndpointRouteBuilder MapSampleMindMetrics(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<MetricsOptions>();
        if (!options.Enabled)
        {
            return app;
        }
        app.MapPrometheusScrapingEndpoint(options.Path)
            .AddEndpointFilter(async (context, next) =>
                MayScrape(context.HttpContext, options) ? await next(context) : Results.Problem(
                    statusCode: StatusCodes.Status403Forbidden,
                    title: "Metrics are local",
                    detail: $"{options.Path} answers loopback peers; set Metrics:AllowRemote or send Metrics:Key as a Bearer token."));
        return app;
    }

    internal static bool MayScrape(HttpContext context, MetricsOptions options)
    {
        if (options.AllowRemote || context.Connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer))
        {
            return true;
        }
        return !string.IsNullOrEmpty(options.Key)
            && context.Request.Headers.Authorization.ToString() is { } header
            && header.StartsWith("Bearer ", StringComparison.Ordinal)
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(header["Bearer ".Length..]), System.Text.Encoding.UTF8.GetBytes(options.Key));
    }
}
