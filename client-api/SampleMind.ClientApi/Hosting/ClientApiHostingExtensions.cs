using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using SampleMind.ClientApi.Security;
using Scalar.AspNetCore;

namespace SampleMind.ClientApi.Hosting;

public static class ClientApiHostingExtensions
{
    /// <summary>client-api's HTTP endpoint when neither --urls nor ASPNETCORE_URLS says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>SAMPLEMIND_-prefixed environment variables (SAMPLEMIND_Orleans__ClusteringMode=AdoNet) below the command line.</summary>
    public static IConfigurationBuilder AddSampleMindEnvironment(this IConfigurationBuilder configuration)
    {
        var source = new EnvironmentVariablesConfigurationSource { Prefix = "SAMPLEMIND_" };
        var commandLine = configuration.Sources.ToList().FindIndex(s => s is CommandLineConfigurationSource);
        if (commandLine >= 0)
        {
            configuration.Sources.Insert(commandLine, source);
        }
        else
        {
            configuration.Sources.Add(source);
        }

        return configuration;
    }

    /// <summary>Clustering as configured (Localhost gateway or ADO.NET on PostgreSQL) and connection retries with backoff.</summary>
    public static IClientBuilder AddSampleMindClient(this IClientBuilder client, IConfiguration configuration)
    {
        var options = configuration.GetSection(ClusterClientOptions.SectionName).Get<ClusterClientOptions>() ?? new ClusterClientOptions();
        client.Configure<ClusterOptions>(cluster =>
        {
            cluster.ClusterId = options.ClusterId;
            cluster.ServiceId = options.ServiceId;
        });
        client.Configure<GatewayOptions>(gateways => gateways.GatewayListRefreshPeriod = TimeSpan.FromSeconds(10));

        if (options.UsesAdoNetClustering)
        {
            client.UseAdoNetClustering(o => o.Configure<NpgsqlDataSource>((clustering, dataSource) =>
            {
                clustering.Invariant = "Npgsql";
                clustering.DataSource = dataSource;
            }));
        }
        else
        {
            client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
        }

        client.UseConnectionRetryFilter<BackoffConnectionRetryFilter>();
        return client;
    }

    /// <summary>Options, the PostgreSQL data source, ProblemDetails, OpenAPI and health checks.</summary>
    public static WebApplicationBuilder AddClientApi(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // The Orleans client connects (with retries) while the host starts; start Kestrel alongside so
        // /health/live answers and /health/ready says "connecting" before any silo is up.
        builder.Services.Configure<HostOptions>(host => host.ServicesStartConcurrently = true);

        builder.Services.AddOptions<ClusterClientOptions>()
            .BindConfiguration(ClusterClientOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<ClientDatabaseOptions>()
            .BindConfiguration(ClientDatabaseOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                var connectionString = configuration[ClientDatabaseOptions.ConnectionStringVariable];
                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    options.ConnectionString = connectionString;
                }
            })
            .ValidateDataAnnotations();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ClientDatabaseOptions>>().Value;
            var dataSource = new NpgsqlDataSourceBuilder(options.ConnectionString);
            dataSource.ConnectionStringBuilder.ApplicationName ??= "samplemind-client-api";
            SampleMind.Operations.ConnectionBudget.Apply(dataSource.ConnectionStringBuilder, options.ConnectionString, options.MaxPoolSize, options.PgBouncer);
            return dataSource.Build();
        });

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ClusterUnavailableExceptionHandler>();
        builder.Services.AddOpenApi(options => options.AddApiSecurity());
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);
        return builder;
    }

    /// <summary>Error handling as ProblemDetails, CORS on the ingest paths, rate limits, authentication, the OpenAPI document (/openapi/v1.json, /scalar/v1) and /health/live, /health/ready.</summary>
    public static WebApplication UseClientApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // CORS first, then the rate limiter, then authentication: a browser can read the 429 and 401 answers too.
        // (Called explicitly so the host does not put authentication ahead of everything, as it does by default.)
        app.UseIngestCors();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        // The reference page offers the bearer API key first (try requests with dev-read-key locally).
        app.MapScalarApiReference(scalar => scalar
            .WithTitle("SampleMind API")
            .AddPreferredSecuritySchemes([ApiSecurityOpenApiTransformers.BearerScheme]));
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthJsonAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealthJsonAsync });
        return app;
    }

    private static Task WriteHealthJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJsonOptions, context.RequestAborted);
    }

    private static readonly JsonSerializerOptions HealthJsonOptions = new(JsonSerializerDefaults.Web);
}
