using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// A local HTTP server answering as Stripe's API does for the list endpoints the backfill reads: a Bearer secret key
/// (else 401 with Stripe's error object), <c>{object: "list", data: [...], has_more, url}</c> pages in the objects'
/// order, honouring <c>limit</c> (default 10, 1…100) and <c>starting_after</c> (an object id), plus
/// <c>GET /v1/charges/{id}</c>. Counts the pages it served per resource.
/// </summary>
public sealed class MockStripeApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, List<JsonObject>> _lists;

    private MockStripeApi(WebApplication app, Dictionary<string, List<JsonObject>> lists, Uri baseAddress)
    {
        _app = app;
        _lists = lists;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Pages served per resource (customers, subscriptions, invoices, refunds, charges).</summary>
    public ConcurrentDictionary<string, int> Pages { get; } = new(StringComparer.Ordinal);

    public static async Task<MockStripeApi> StartAsync(string apiKey, Dictionary<string, List<JsonObject>> lists, CancellationToken cancellationToken)
    {
        var port = BuiltHosts.FreeTcpPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var api = new MockStripeApi(app, lists, new Uri($"http://127.0.0.1:{port}"));
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != $"Bearer {apiKey}")
            {
                context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
                await context.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["type"] = "invalid_request_error",
                        ["message"] = "Invalid API Key provided: " + Masked(context.Request.Headers.Authorization.ToString()),
                    },
                }, cancellationToken);
                return;
            }
            await next(context);
        });
        app.MapGet("/v1/charges/{id}", (string id) =>
        {
            api.Pages.AddOrUpdate("charges", 1, (_, n) => n + 1);
            return lists["charges"].FirstOrDefault(c => (string?)c["id"] == id) is { } charge
                ? Results.Content(charge.ToJsonString(), "application/json")
                : Results.NotFound();
        });
        app.MapGet("/v1/{resource}", (string resource, HttpRequest request) => api.Page(resource, request));
        await app.StartAsync(cancellationToken);
        return api;
    }

    private IResult Page(string resource, HttpRequest request)
    {
        if (!_lists.TryGetValue(resource, out var all))
        {
            return Results.NotFound();
        }
        Pages.AddOrUpdate(resource, 1, (_, n) => n + 1);
        var limit = int.TryParse(request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 100) : 10;
        IEnumerable<JsonObject> items = all;
        if (resource == "invoices" && request.Query["status"].ToString() is { Length: > 0 } status)
        {
            items = items.Where(i => (string?)i["status"] == status);
        }
        var list = items.ToList();
        var start = 0;
        if (request.Query["starting_after"].ToString() is { Length: > 0 } after)
        {
            start = list.FindIndex(i => (string?)i["id"] == after) + 1;
        }
        var page = list.Skip(start).Take(limit).ToList();
        var body = new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([.. page.Select(p => JsonNode.Parse(p.ToJsonString()))]),
            ["has_more"] = start + page.Count < list.Count,
            ["url"] = $"/v1/{resource}",
        };
        return Results.Content(body.ToJsonString(), "application/json");
    }

    private static string Masked(string header) => header.Length > 12 ? header[7..12] + "…" : "(none)";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
