using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using System.Security.Claims;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;
using SampleMind.Kpis;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace SampleMind.ClientApi.Dashboard;

/// <summary>What the page needs before it can call the API.</summary>
/// <param name="ApiKey">The loopback read key when the page was opened on this machine, else null (the page asks for a key).</param>
public sealed record class DashboardConfig(string? ApiKey, string OrleansDashboardUrl, string ApiReference, string OpenApiDocument);

/// <summary>The dashboard page at <c>/</c> (static files from wwwroot), its configuration and the live stream <c>/api/live</c>.</summary>
public static class DashboardApi
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    public static WebApplication MapDashboard(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!File.Exists(Path.Combine(root, "index.html")) || !File.Exists(Path.Combine(root, "lib", "echarts.min.js")))
        {
            throw new InvalidOperationException($"the dashboard page is not built into {root} (build client-api; its build runs npm ci in Dashboard/web)");
        }
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });

        var dashboard = app.MapGroup("/api").WithTags("Dashboard");
        dashboard.MapGet("/dashboard/config", GetConfig)
            .WithName("GetDashboardConfig")
            .WithSummary("The dashboard page's settings")
            .WithDescription("Links, and the local read key when the page is opened from this machine (loopback address and host name); no key otherwise.")
            .AllowAnonymous();
        dashboard.MapGet("/live", Live)
            .WithName("GetLive")
            .WithSummary("The live dashboard stream (Server-Sent Events)")
            .WithDescription("One round a second: `tiles` (today's KPI tiles) every second; `days` (the KPI day rows of the last 30 days that changed, all at first), `models`, `campaigns`, `funnels`, `cohorts` and `experiments` (whole lists, small groups suppressed for non-admin keys) when they changed. `unavailable` when the cluster did not answer.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .RequireApiRole(ApiRole.Read);
        return app;
    }

    private static Ok<DashboardConfig> GetConfig(HttpContext context, IOptions<ApiKeyOptions> keys, IOptions<DashboardOptions> options)
        => TypedResults.Ok(new DashboardConfig(
            IsLocal(context.Request, context.Connection) ? keys.Value.LoopbackDashboardKey : null,
            options.Value.OrleansDashboardUrl,
            "/scalar/v1",
            "/openapi/v1.json"));

    /// <summary>
    /// Opened on this machine: a loopback peer, a loopback host name (so a web page elsewhere cannot read the key
    /// through DNS rebinding) and no proxy in between.
    /// </summary>
    private static bool IsLocal(HttpRequest request, ConnectionInfo connection)
        => connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer)
            && request.Host.Host is "localhost" or "127.0.0.1" or "[::1]" or "::1"
            && !request.Headers.ContainsKey("X-Forwarded-For") && !request.Headers.ContainsKey("Forwarded");

    private static ServerSentEventsResult<string> Live(
        LiveSnapshotSource source, IOptions<JsonOptions> json, TimeProvider time, ClaimsPrincipal user, SmallGroupPolicy policy,
        CancellationToken cancellationToken)
        => TypedResults.ServerSentEvents(StreamAsync(source, json.Value.SerializerOptions, time, policy.For(user), cancellationToken));

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        LiveSnapshotSource source, JsonSerializerOptions json, TimeProvider time, SmallGroups? groups,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sentDays = new Dictionary<DateOnly, KpiDayRow>();
        var sentLists = new Dictionary<string, string>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(Tick, time);
        do
        {
            var (snapshot, failure) = await TryGetAsync(source);
            if (snapshot is null)
            {
                yield return Item("unavailable", JsonSerializer.Serialize(new { detail = failure }, json));
                continue;
            }
            if (groups is not null)
            {
                snapshot = snapshot.Suppressed(groups);
            }
            yield return Item("tiles", JsonSerializer.Serialize(snapshot.Tiles, json));

            var changed = snapshot.Days.Where(d => !sentDays.TryGetValue(d.Date, out var sent) || sent != d).ToArray();
            if (changed.Length > 0)
            {
                yield return Item("days", JsonSerializer.Serialize(new { from = snapshot.Days[0].Date, to = snapshot.Days[^1].Date, rows = changed }, json));
                sentDays = snapshot.Days.ToDictionary(d => d.Date);
            }

            foreach (var (name, list) in new (string, object)[]
                     {
                         ("models", snapshot.Models), ("campaigns", snapshot.Campaigns), ("funnels", snapshot.Funnels), ("cohorts", snapshot.Cohorts),
                         ("experiments", snapshot.Experiments), ("mrr", snapshot.Mrr),
                     })
            {
                var text = JsonSerializer.Serialize(list, list.GetType(), json);
                if (!sentLists.TryGetValue(name, out var sent) || sent != text)
                {
                    sentLists[name] = text;
                    yield return Item(name, text);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private static async Task<(LiveSnapshot? Snapshot, string? Failure)> TryGetAsync(LiveSnapshotSource source)
    {
        try
        {
            return (await source.GetAsync(), null);
        }
        catch (Exception ex) when (ex is SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException or OrleansMessageRejectionException or TimeoutException)
        {
            return (null, "the SampleMind cluster did not answer; retrying");
        }
    }

    private static SseItem<string> Item(string type, string data) => new(data, type);
}
