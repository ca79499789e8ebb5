using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SampleMind.ClientApi.Ingest;
using SampleMind.ClientApi.Quality;

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
        services.AddPiiProtection(); // events are stored with their personal data protected
        services.TryAddSingleton<IngestQualityCounters>(); // written behind only where AddDataQuality() runs
        services.TryAddSingleton<IngestHandler>();
        services.AddProblemDetails();
        services.AddCors();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, WriteKeyAuthenticationHandler>(WriteKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(WriteKeyAuthenticationHandler.PolicyName, policy => policy
                .AddAuthenticationSchemes(WriteKeyAuthenticationHandler.SchemeName)
                // A request with no credentials in its headers or query (analytics.js sends its key in the body) gets
                // through to the handler, which reads the body's writeKey before anything else and answers 401 itself.
                .RequireAssertion(c => c.User.Identity?.AuthenticationType == WriteKeyAuthenticationHandler.SchemeName
                    || (c.Resource is HttpContext http && WriteKeyAuthenticationHandler.KeyIsInBody(http.Request))));
        return services;
    }

    /// <summary>
    /// CORS on <c>/v1/*</c> and <c>/beacon/*</c> (<see cref="IngestCorsMiddleware"/>). Call it before
    /// <c>UseRateLimiter()</c> and <c>UseAuthentication()</c>, so their 429 and 401 answers carry the CORS headers.
    /// </summary>
    public static IApplicationBuilder UseIngestCors(this IApplicationBuilder app) => app.UseMiddleware<IngestCorsMiddleware>();

    /// <inheritdoc cref="AddIngest(IServiceCollection)"/>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIngest();
        return builder;
    }
}
