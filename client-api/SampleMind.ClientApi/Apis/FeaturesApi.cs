using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;
using SampleMind.Features;
using SampleMind.Rollups;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/features and /api/features/{feature}: feature analytics per adoption week (docs/feature-analytics.md).</summary>
public static class FeaturesApi
{
    private const string Suppression = "Groups under Privacy:MinGroupSize people are suppressed for non-admin keys.";

    public static IEndpointRouteBuilder MapFeaturesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/features").WithTags("Features").RequireApiRole(ApiRole.Read);
        group.MapGet("/", GetAllAsync)
            .WithName("GetFeatures")
            .WithSummary("Every feature (the feature property of feature_used) with its adoption weeks (ISO weeks, UTC): "
                + "adopters, uses, average usage, retention of adopters and non-adopters four weeks on, retention impact, "
                + $"adopter revenue, revenue impact and feature value. {Suppression}");
        group.MapGet("/{feature}", GetAsync)
            .WithName("GetFeature")
            .WithSummary($"One feature's adoption weeks, as in GET /api/features; 404 for a feature nobody used. {Suppression}")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Ok<FeatureRow[]>> GetAllAsync(IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        var keys = await client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.Features).GetKeysAsync();
        var rows = await Task.WhenAll(keys.Select(k => client.GetGrain<IFeatureGrain>(k).GetAsync()));
        // A feature whose every adopter left (erased, or merged into a person who adopted it earlier) stays catalogued, empty.
        var shown = rows.Where(r => r.Weeks.Length > 0).ToArray();
        return TypedResults.Ok(policy.For(user) is { } groups ? [.. shown.Select(groups.Feature)] : shown);
    }

    private static async Task<Results<Ok<FeatureRow>, ProblemHttpResult>> GetAsync(
        string feature, IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        var known = await client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.Features).ContainsAsync(feature);
        var row = known ? await client.GetGrain<IFeatureGrain>(feature).GetAsync() : null;
        if (row is null || row.Weeks.Length == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Feature not found",
                detail: $"no feature_used event names the feature '{feature}'");
        }
        return TypedResults.Ok(policy.For(user) is { } groups ? groups.Feature(row) : row);
    }
}
