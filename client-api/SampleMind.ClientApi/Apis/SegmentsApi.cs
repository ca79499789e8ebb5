using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Segments;
using System.Security.Claims;
using SampleMind.ClientApi.Privacy;
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
            .WithSummary("Users per segment at the end of each UTC day from `from` to `to` (inclusive; default: the last 30 days), and the users who moved between segments that day. Days ahead show where today's users will be without new events. Small groups are suppressed for non-admin keys.");
        return app;
    }

    private static async Task<Results<Ok<SegmentDayRow[]>, ValidationProblem>> GetDaysAsync(
        string? from, string? to, IClusterClient client, TimeProvider time, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        if (KpisApi.ParseRange(from, to, time) is not { } range)
        {
            return KpisApi.RangeProblem(from, to, time);
        }
        var rows = await client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).GetDaysAsync(range.From, range.To);
        return TypedResults.Ok(policy.For(user) is { } groups ? groups.SegmentDays(rows) : rows);
    }
}
