using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Cohorts;
using SampleMind.Rollups;
using System.Security.Claims;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/cohorts: every signup-month cohort with its revenue by months since signup.</summary>
public static class CohortsApi
{
    public static IEndpointRouteBuilder MapCohortsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/cohorts").WithTags("Cohorts").RequireApiRole(ApiRole.Read)
            .MapGet("/", GetAsync)
            .WithName("GetCohorts")
            .WithSummary("Every signup-month cohort (UTC): its size and, per months since signup, users with revenue, total revenue and revenue per user. Groups under Privacy:MinGroupSize people are suppressed for non-admin keys.");
        return app;
    }

    private static async Task<Ok<CohortRow[]>> GetAsync(IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        var rows = (await GetAllAsync(client)).Value!;
        return TypedResults.Ok(policy.For(user) is { } groups ? [.. rows.Select(groups.Cohort)] : rows);
    }

    internal static async Task<Ok<CohortRow[]>> GetAllAsync(IClusterClient client)
    {
        var keys = await client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.Cohorts).GetKeysAsync();
        var rows = await Task.WhenAll(keys.Select(k => client.GetGrain<ICohortGrain>(k).GetAsync()));
        // A cohort that every user left (a later-found earlier signup moved them) stays catalogued but empty.
        return TypedResults.Ok(rows.Where(r => r.Size != 0 || r.Months.Length > 0).ToArray());
    }
}
