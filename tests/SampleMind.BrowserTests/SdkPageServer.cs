using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using SampleMind.IntegrationTests.Processes;

namespace SampleMind.BrowserTests;

/// <summary>
/// A second local origin, as a customer's web app would be: it serves the test pages (sdk/pages), the real npm
/// packages from sdk/node_modules (installed by test.sh with <c>npm ci</c>), and the SDKs' remote settings — Segment's
/// CDN <c>/v1/projects/{writeKey}/settings</c> and RudderStack's <c>/sourceConfig/</c> — so nothing is fetched from a CDN.
/// </summary>
public sealed class SdkPageServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();

    private SdkPageServer(WebApplication app, Uri origin)
    {
        _app = app;
        Origin = origin;
    }

    public static string SdkFolder { get; } = Path.Combine(BuiltHosts.RepositoryRoot, "tests", "SampleMind.BrowserTests", "sdk");

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public Uri Origin { get; }

    /// <summary>Every path this origin served, in order (settings fetches included).</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public static async Task<SdkPageServer> StartAsync()
    {
        var modules = Path.Combine(SdkFolder, "node_modules");
        foreach (var package in new[] { "@segment/analytics-next", "@rudderstack/analytics-js" })
        {
            if (!File.Exists(Path.Combine(modules, package, "package.json")))
            {
                throw new InvalidOperationException($"{package} is not installed in {modules}: run `npm ci` there (test.sh does).");
            }
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = SdkFolder });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // "localhost" binds both loopback addresses, so http://localhost:port is a third origin on the same server.
        var port = BuiltHosts.FreeTcpPort();
        builder.WebHost.UseUrls($"http://localhost:{port}");
        var app = builder.Build();
        SdkPageServer? server = null;
        app.Use(async (context, next) =>
        {
            server!._requests.Enqueue(context.Request.Path + context.Request.QueryString);
            await next(context);
        });
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.Combine(SdkFolder, "pages")),
            RequestPath = "",
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(modules),
            RequestPath = "/npm",
            ContentTypeProvider = types,
        });
        // analytics.js loads its lazy chunks from {cdn}/analytics-next/bundles/ (browser-umd.ts): the same package's umd folder.
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.Combine(modules, "@segment", "analytics-next", "dist", "umd")),
            RequestPath = "/analytics-next/bundles",
        });
        app.MapGet("/v1/projects/{writeKey}/settings", (string writeKey) => Results.Json(SegmentSettings(writeKey)));
        // {configUrl}/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey=…&lockIntegrationsVersion=…&lockPluginsVersion=…
        // (getSourceConfigURL in the SDK). One route: routing ignores the trailing slash, two would be ambiguous (500).
        app.MapGet("/sourceConfig/", (string writeKey) => Results.Json(RudderStackSourceConfig(writeKey)));
        server = new SdkPageServer(app, new Uri($"http://127.0.0.1:{port}"));
        await app.StartAsync();
        return server;
    }

    /// <summary>
    /// A Segment source's CDN settings with only the Segment.io destination (no device-mode destinations, so no
    /// integration bundles to load) and analytics.js's own telemetry to <c>/v1/m</c> off.
    /// </summary>
    public static object SegmentSettings(string writeKey) => new Dictionary<string, object>
    {
        ["integrations"] = new Dictionary<string, object>
        {
            ["Segment.io"] = new { apiKey = writeKey, unbundledIntegrations = Array.Empty<string>(), addBundledMetadata = true, maybeBundledConfigIds = new { } },
        },
        ["plan"] = new { },
        ["edgeFunction"] = new { },
        ["analyticsNextEnabled"] = true,
        ["middlewareSettings"] = new { },
        ["enabledMiddleware"] = new { },
        ["metrics"] = new { sampleRate = 0 },
        ["legacyVideoPluginsEnabled"] = false,
        ["remotePlugins"] = Array.Empty<object>(),
    };

    /// <summary>A RudderStack source with no device-mode destinations and the SDK's error and metrics reporting off.</summary>
    public static object RudderStackSourceConfig(string writeKey) => new
    {
        isHosted = false,
        source = new
        {
            id = "samplemind-browser-test",
            name = "SampleMind browser test",
            writeKey,
            workspaceId = "samplemind",
            enabled = true,
            config = new { statsCollection = new { errors = new { enabled = false }, metrics = new { enabled = false } } },
            destinations = Array.Empty<object>(),
        },
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
