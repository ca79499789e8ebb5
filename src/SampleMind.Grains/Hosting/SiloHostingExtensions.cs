using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace SampleMind.Hosting;

public static class SiloHostingExtensions
{
    /// <summary>The silo's web endpoint (dashboard, health) when neither --urls nor ASPNETCORE_URLS says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5081";

    private const string ErrorPrefix = "samplemind-silo: error: ";

    /// <summary>
    /// Configuration (SAMPLEMIND_-prefixed environment variables, SAMPLEMIND_PG), options, the shared
    /// <see cref="NpgsqlDataSource"/>, health checks and the Orleans silo with its providers and dashboard.
    /// </summary>
    public static WebApplicationBuilder AddSampleMindSilo(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddSampleMindEnvironment();
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddOptions<SiloHostOptions>()
            .BindConfiguration(SiloHostOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSampleMindDatabase();
        builder.Services.AddSiloAdminGate();

        var host = ReadHostOptions(builder.Configuration);
        var health = builder.Services.AddHealthChecks()
            .AddCheck<SiloMembershipHealthCheck>("membership", tags: ["ready"]);
        if (host.NeedsDatabase)
        {
            health.AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        }

        builder.UseOrleans(silo => silo.AddSampleMindSilo(builder.Configuration));
        return builder;
    }

    /// <summary>Clustering, grain storage ("Default", "PubSubStore"), reminders and the dashboard, as configured.</summary>
    public static ISiloBuilder AddSampleMindSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = ReadHostOptions(configuration);

        silo.Configure<ClusterOptions>(cluster =>
        {
            cluster.ClusterId = options.ClusterId;
            cluster.ServiceId = options.ServiceId;
        });
        silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration($"{SiloHostOptions.SectionName}:Membership");

        // The strongly consistent in-cluster grain directory: at most one activation of a grain among the active silos,
        // also while membership changes (a silo killed, a rolling restart). The default directory is eventually
        // consistent and lets two activations of one user grain run side by side for a while after a silo dies: both
        // append to the log from the same sequence number and both report rollup deltas from the same "before" state
        // (samplemind soak measured it: users' grains short of their log, day aggregates above SQL).
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10; the directory Orleans' own chaos tests run on
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003

        if (options.KubernetesHosting)
        {
            silo.Configure<EndpointOptions>(endpoints =>
            {
                endpoints.SiloPort = options.SiloPort;
                endpoints.GatewayPort = options.GatewayPort;
            });
            silo.UseKubernetesHosting();
        }

        if (options.UsesAdoNetClustering)
        {
            if (!options.KubernetesHosting)
            {
                var advertised = IPAddress.TryParse(options.AdvertisedIPAddress, out var address) ? address : IPAddress.Loopback;
                silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
            }
            silo.UseAdoNetClustering(o => o.Configure<NpgsqlDataSource>((clustering, dataSource) =>
            {
                clustering.Invariant = AdoNetInvariant;
                clustering.DataSource = dataSource;
            }));
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
        }

        if (options.UsesAdoNetPersistence)
        {
            foreach (var name in new[] { "Default", "PubSubStore" })
            {
                silo.AddAdoNetGrainStorage(name, o => o.Configure<NpgsqlDataSource>((storage, dataSource) =>
                {
                    storage.Invariant = AdoNetInvariant;
                    storage.DataSource = dataSource;
                }));
            }

            silo.UseAdoNetReminderService(o => o.Configure<NpgsqlDataSource>((reminders, dataSource) =>
            {
                reminders.Invariant = AdoNetInvariant;
                reminders.DataSource = dataSource;
            }));
        }
        else
        {
            silo.AddMemoryGrainStorage("Default");
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.UseInMemoryReminderService();
        }

        silo.Services.AddSampleMindChurnModels();
        silo.Services.AddSampleMindUsers();
        silo.Services.AddSampleMindErasureRunner();
        silo.AddSampleMindEventHubsIngest(configuration);
        silo.AddDashboard();
        return silo;
    }

    /// <summary>
    /// The options as configured, for wiring that must be chosen now. A value that does not bind (SiloPort=abc)
    /// falls back to the defaults here; <see cref="RunSiloAsync"/> reports it before anything starts.
    /// </summary>
    private static SiloHostOptions ReadHostOptions(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>() ?? new SiloHostOptions();
        }
        catch (InvalidOperationException)
        {
            return new SiloHostOptions();
        }
    }

    /// <summary>The invariant name the Orleans ADO.NET providers use for Npgsql (their default is SQL Server's).</summary>
    public const string AdoNetInvariant = "Npgsql";

    /// <summary>
    /// SAMPLEMIND_-prefixed environment variables (SAMPLEMIND_Orleans__Clustering=AdoNet) below the command line,
    /// so --Orleans:SiloPort=… still wins.
    /// </summary>
    public static IConfigurationBuilder AddSampleMindEnvironment(this IConfigurationBuilder configuration)
    {
        var source = new Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource { Prefix = "SAMPLEMIND_" };
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

    /// <summary>Options "Database" (SAMPLEMIND_PG wins) and one <see cref="NpgsqlDataSource"/> for the whole process.</summary>
    public static IServiceCollection AddSampleMindDatabase(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                var connectionString = configuration[DatabaseOptions.ConnectionStringVariable];
                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    options.ConnectionString = connectionString;
                }
            })
            .ValidateDataAnnotations()
            .Validate(options => !(options.PgBouncer && options.MigrateOnStart),
                "Database:PgBouncer needs Database:MigrateOnStart=false (migrations take a session-level lock PgBouncer's transaction mode does not keep: run samplemind db migrate on a direct connection)")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
            builder.ConnectionStringBuilder.ApplicationName ??= "samplemind";
            SampleMind.Operations.ConnectionBudget.Apply(builder.ConnectionStringBuilder, options.ConnectionString, options.MaxPoolSize, options.PgBouncer);
            if (IsLoopback(builder.ConnectionStringBuilder.Host) && !SslModeGiven.IsMatch(options.ConnectionString))
            {
                // TLS to a database on the same machine protects nothing and costs a TLS record per round trip on
                // both sides (a sixth of the silo's CPU under ingest, see docs/benchmarks.md). An explicit SSL Mode wins.
                builder.ConnectionStringBuilder.SslMode = SslMode.Disable;
            }
            return builder.Build();
        });
        return services;
    }

    private static readonly System.Text.RegularExpressions.Regex SslModeGiven =
        new(@"ssl\s*mode", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static bool IsLoopback(string? host) =>
        host is "localhost" || (host is not null && (host.StartsWith('/') || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip))));

    /// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (Active in the cluster and the database answers), JSON bodies.</summary>
    public static IEndpointRouteBuilder MapSampleMindHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthJsonAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealthJsonAsync });
        return app;
    }

    /// <summary>
    /// Validates options and checks the database before Orleans starts, then runs until shut down.
    /// Configuration mistakes end in one line on stderr and exit code 2, not in retry loops of stack traces.
    /// </summary>
    public static async Task<int> RunSiloAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SampleMind.Silo");
        try
        {
            var host = app.Services.GetRequiredService<IOptions<SiloHostOptions>>().Value;
            if (host.NeedsDatabase)
            {
                await DatabaseStartupCheck.RunAsync(app.Services, logger, CancellationToken.None);
            }
        }
        catch (StartupConfigurationException ex)
        {
            Console.Error.WriteLine(ErrorPrefix + ex.Message);
            return 2;
        }
        catch (OptionsValidationException ex)
        {
            Console.Error.WriteLine(ErrorPrefix + "invalid configuration: " + string.Join("; ", ex.Failures));
            return 2;
        }
        catch (InvalidOperationException ex) when (ex.InnerException is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // The configuration binder: "Failed to convert configuration value 'abc' at 'Orleans:SiloPort' to type 'System.Int32'."
            Console.Error.WriteLine(ErrorPrefix + "invalid configuration: " + DatabaseStartupCheck.OneLine(ex.Message));
            return 2;
        }

        try
        {
            await app.StartAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine(ErrorPrefix + "the silo could not start: " + DatabaseStartupCheck.OneLine(ex.GetBaseException().Message));
            return 3;
        }

        logger.LogInformation("Silo started; web endpoint {Urls}", string.Join(", ", app.Urls));
        await app.WaitForShutdownAsync();
        return 0;
    }

    internal static Task WriteHealthJsonAsync(HttpContext context, HealthReport report)
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
