using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.ModelVersions;
using SampleMind.Rollups;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/models (every AI-model version with its figures) and GET /api/models/{name}/{version}.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/models").WithTags("AI models").RequireApiRole(ApiRole.Read);

        models.MapGet("/", GetAllAsync)
            .WithName("GetModelVersions")
            .WithSummary("Every AI-model version: requests, average and p99 latency, throughput, error rate, accuracy from feedback, cost per request.");

        models.MapGet("/{name}/{version}", GetAsync)
            .WithName("GetModelVersion")
            .WithSummary("One AI-model version's figures; 404 when no event has named it.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    internal static async Task<Ok<ModelVersionRow[]>> GetAllAsync(IClusterClient client)
    {
        var keys = await client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.ModelVersions).GetKeysAsync();
        return TypedResults.Ok(await Task.WhenAll(keys.Select(k => client.GetGrain<IModelVersionGrain>(k).GetAsync())));
    }

    private static async Task<Results<Ok<ModelVersionRow>, ProblemHttpResult>> GetAsync(string name, string version, IClusterClient client)
    {
        var key = $"{name}@{version}";
        if (!await client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.ModelVersions).ContainsAsync(key))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown model version",
                detail: $"No event has named model '{name}' version '{version}'.");
        }
        return TypedResults.Ok(await client.GetGrain<IModelVersionGrain>(key).GetAsync());
    }
}
