using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Churn;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>POST /api/models/churn/{version}/promote: every silo scores churn with that trained version from then on.</summary>
public static class ChurnModelsApi
{
    public static IEndpointRouteBuilder MapChurnModelsApi(this IEndpointRouteBuilder app)
    {
        var churn = app.MapGroup("/api/models/churn").WithTags("AI models").RequireApiRole(ApiRole.Admin);

        churn.MapPost("/{version}/promote", PromoteAsync)
            .WithName("PromoteChurnModel")
            .WithSummary("Promotes a trained churn version (samplemind train-churn): scores switch to it without a restart; 404 when no such version was trained.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    private static async Task<Results<Ok<ChurnPromotion>, ProblemHttpResult>> PromoteAsync(string version, IClusterClient client)
    {
        if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1
            || await client.GetGrain<IChurnModelRegistryGrain>(0).PromoteAsync(number) is not { } promotion)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown churn model version",
                detail: $"No churn model version '{version}' was trained (./samplemind train-churn registers versions 1, 2, …).");
        }
        return TypedResults.Ok(promotion);
    }
}
