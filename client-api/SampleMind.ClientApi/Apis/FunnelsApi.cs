using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.FunnelMetrics;
using System.Security.Claims;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/funnels/{name}: users per step, step-to-step conversion and median time between steps.</summary>
public static class FunnelsApi
{
    public static IEndpointRouteBuilder MapFunnelsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/funnels").WithTags("Funnels").RequireApiRole(ApiRole.Read)
            .MapGet("/{name}", GetAsync)
            .WithName("GetFunnel")
            .WithSummary("One funnel (activation or monetization): users at each step, conversion from the previous step, and the median time from it (histogram bucket).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<FunnelView>, ProblemHttpResult>> GetAsync(string name, IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        if (FunnelFigures.StepsOf(name) is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Funnel not found",
                detail: $"unknown funnel '{name}'; known: {string.Join(", ", FunnelFigures.Names)}");
        }
        var view = await client.GetGrain<IFunnelGrain>(name).GetAsync();
        return TypedResults.Ok(policy.For(user) is { } groups ? groups.Funnel(view) : view);
    }
}
