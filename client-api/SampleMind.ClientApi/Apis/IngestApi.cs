using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using SampleMind.Analytics.Ingest;
using SampleMind.ClientApi.Ingest;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>
/// Segment HTTP Tracking API: /v1/batch, /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias; the
/// short paths analytics.js 2.0 posts to (/v1/t, /v1/p, /v1/i, /v1/g, /v1/a, /v1/s, its batch /v1/b); and RudderStack's
/// sendBeacon path /beacon/v1/batch?writeKey=…. All end in the same <see cref="IngestHandler"/>.
/// </summary>
public static class IngestApi
{
    /// <summary>
    /// Maps the Segment endpoints, analytics.js's short paths and RudderStack's beacon path. Needs <see cref="Hosting.IngestHostingExtensions.AddIngest(IServiceCollection)"/>
    /// and an <c>IClusterClient</c> in the container.
    /// </summary>
    public static IEndpointRouteBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        // Fail at startup, not with a 500 on the first event, when the host forgot the registration.
        if (app.ServiceProvider.GetService<IServiceProviderIsService>()?.IsService(typeof(IngestHandler)) == false)
        {
            throw new InvalidOperationException("MapIngestApi() needs builder.AddIngest() (SampleMind.ClientApi.Hosting) first.");
        }

        var v1 = IngestGroup(app.MapGroup("/v1"));
        Map(v1, "batch", SegmentEndpoint.Batch, "IngestBatch", "Ingest a Segment batch: {\"batch\": [events…], \"context\", \"sentAt\"}");
        Map(v1, "track", SegmentEndpoint.Track, "IngestTrack", "Ingest one Segment track event");
        Map(v1, "identify", SegmentEndpoint.Identify, "IngestIdentify", "Ingest one Segment identify event");
        Map(v1, "page", SegmentEndpoint.Page, "IngestPage", "Ingest one Segment page event");
        Map(v1, "screen", SegmentEndpoint.Screen, "IngestScreen", "Ingest one Segment screen event");
        Map(v1, "group", SegmentEndpoint.Group, "IngestGroup", "Ingest one Segment group event");
        Map(v1, "alias", SegmentEndpoint.Alias, "IngestAlias", "Ingest one Segment alias event");

        // analytics.js 2.0: the first letter of the type (plugins/segmentio: `${remote}/${type.charAt(0)}`), batches to /b.
        // Its requests are text/plain with the write key in the body (and, since 1.7x, in a Basic Authorization header).
        Map(v1, "b", SegmentEndpoint.Batch, "IngestBrowserBatch", "analytics.js batch (as /v1/batch)");
        Map(v1, "t", SegmentEndpoint.Track, "IngestBrowserTrack", "analytics.js track (as /v1/track)");
        Map(v1, "i", SegmentEndpoint.Identify, "IngestBrowserIdentify", "analytics.js identify (as /v1/identify)");
        Map(v1, "p", SegmentEndpoint.Page, "IngestBrowserPage", "analytics.js page (as /v1/page)");
        Map(v1, "s", SegmentEndpoint.Screen, "IngestBrowserScreen", "analytics.js screen (as /v1/screen)");
        Map(v1, "g", SegmentEndpoint.Group, "IngestBrowserGroup", "analytics.js group (as /v1/group)");
        Map(v1, "a", SegmentEndpoint.Alias, "IngestBrowserAlias", "analytics.js alias (as /v1/alias)");

        // RudderStack JS SDK v3's BeaconQueue: navigator.sendBeacon(`${dataPlaneUrl}/beacon/v1/batch?writeKey=…`, text/plain {batch, sentAt}).
        var beacon = IngestGroup(app.MapGroup("/beacon/v1"));
        Map(beacon, "batch", SegmentEndpoint.Batch, "IngestBeaconBatch", "RudderStack sendBeacon batch, write key in ?writeKey= (as /v1/batch)");
        return app;
    }

    private static RouteGroupBuilder IngestGroup(RouteGroupBuilder group) =>
        group
            .WithTags("Ingest")
            .RequireAuthorization(WriteKeyAuthenticationHandler.PolicyName)
            .WithMetadata(new WriteKeyMetadata())
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    // No Accepts(...) metadata on purpose: it would make routing answer 415 to RudderStack's node library, which
    // labels its gzipped JSON application/x-www-form-urlencoded. Bodies are read raw; nothing is bound.
    private static void Map(RouteGroupBuilder group, string path, SegmentEndpoint endpoint, string name, string summary)
    {
        group.MapPost(path, (HttpRequest request, [FromServices] IngestHandler handler, CancellationToken cancellationToken) =>
                handler.HandleAsync(endpoint, request, cancellationToken))
            .WithName(name)
            .WithSummary(summary)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Documented here rather than with Accepts(...), which would also make routing refuse other content types.
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "Segment HTTP Tracking API JSON (optionally gzip-encoded), at most 500 KB: https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/",
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } } },
                };
                operation.Responses ??= [];
                operation.Responses["200"] = new OpenApiResponse { Description = "{\"success\": true} once every event is durable" };
                operation.Responses["400"] = new OpenApiResponse { Description = "ProblemDetails naming each invalid event; nothing is stored" };
                return Task.CompletedTask;
            });
    }
}
