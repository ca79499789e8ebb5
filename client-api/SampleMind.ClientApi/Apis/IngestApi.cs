namespace SampleMind.ClientApi.Apis;

/// <summary>Segment HTTP Tracking API: /v1/batch, /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias.</summary>
public static class IngestApi
{
    public static IEndpointRouteBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        return app;
    }
}
