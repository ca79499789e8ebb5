using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Segments;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/segments: the segment distribution and transitions per UTC day.</summary>
public static class SegmentsApi
{
    public static IEndpointRouteBuilder MapSegmentsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/segments").WithTags("Segments").RequireApiRole(ApiRole.Read)
            .MapGet("/", GetDaysAsync)
            .WithName("GetSegmentDays")
            .WithSummary("Users per segment at the end of each UTC day from `from` to `to` (inclusive; default: the last 30 days), and the users who moved between segments that day. Days ahead show where today's users will be without new events.");
        return app;
    }

    private static async Task<Results<Ok<SegmentDayRow[]>, ValidationProblem>> GetDaysAsync(string? from, string? to, IClusterClient client, TimeProvider time)
        => KpisApi.ParseRange(from, to, time) is { } range
            ? TypedResults.Ok(await client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).GetDaysAsync(range.From, range.To))
            : KpisApi.RangeProblem(from, to, time);
}
