using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.ClientApi.Ingest;

namespace SampleMind.ClientApi.Hosting;

/// <summary>Registers the Segment-compatible ingest endpoints' services; map them with <c>MapIngestApi()</c>.</summary>
public static class IngestHostingExtensions
{
    /// <summary>
    /// Binds and validates <see cref="IngestOptions"/> from "Ingest" (at start), and registers the handler, the
    /// write-key authentication scheme and the ingest authorization policy. The host must also register an <c>IClusterClient</c> (<c>UseOrleansClient</c>).
    /// </summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddOptions<IngestOptions>()
            .BindConfiguration(IngestOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IngestHandler>();
        services.AddProblemDetails();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, WriteKeyAuthenticationHandler>(WriteKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(WriteKeyAuthenticationHandler.PolicyName, policy => policy
                .AddAuthenticationSchemes(WriteKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        return services;
    }

    /// <inheritdoc cref="AddIngest(IServiceCollection)"/>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIngest();
        return builder;
    }
}
