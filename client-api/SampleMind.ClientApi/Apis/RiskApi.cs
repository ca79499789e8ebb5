using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Segments;
using SampleMind.Users;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/risk (users by risk level, segment and LTV, riskiest first) and GET /api/risk/summary, from the user index.</summary>
public static class RiskApi
{
    public const int MaxLimit = 1_000;

    public static IEndpointRouteBuilder MapRiskApi(this IEndpointRouteBuilder app)
    {
        var risk = app.MapGroup("/api/risk").WithTags("Risk").RequireApiRole(ApiRole.Read);

        risk.MapGet("/", ListAsync)
            .WithName("ListUsersByRisk")
            .WithSummary("Users from the user index, riskiest first: filter by `level` (HIGH, MEDIUM, LOW), `segment`, `minLtv`; page with `limit` (1–1000, default 100) and `after` (the previous page's `next`).");

        risk.MapGet("/summary", SummaryAsync)
            .WithName("GetRiskSummary")
            .WithSummary("How many users are at each risk level, overall and per segment.");

        return app;
    }

    private static async Task<Results<Ok<UserIndexPage>, ValidationProblem>> ListAsync(
        string? level, string? segment, string? minLtv, string? limit, string? after, IClusterClient client)
    {
        var errors = new Dictionary<string, string[]>();
        var levelName = level?.Trim().ToUpperInvariant();
        if (levelName is not null && levelName is not (RiskLevels.High or RiskLevels.Medium or RiskLevels.Low))
        {
            errors["level"] = [$"'{level}' is not a risk level (HIGH, MEDIUM, LOW)"];
        }
        var segmentName = segment?.Trim().ToLowerInvariant();
        if (segmentName is not null && !SegmentNames.All.Contains(segmentName))
        {
            errors["segment"] = [$"'{segment}' is not a segment ({string.Join(", ", SegmentNames.All)})"];
        }
        decimal? ltv = null;
        if (minLtv is not null)
        {
            if (decimal.TryParse(minLtv, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0)
            {
                ltv = value;
            }
            else
            {
                errors["minLtv"] = [$"'{minLtv}' is not a non-negative number"];
            }
        }
        var pageSize = 100;
        if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"'{limit}' is not a whole number from 1 to {MaxLimit}"];
        }
        if (after is { Length: 0 or > 256 })
        {
            errors["after"] = ["a user id is 1 to 256 characters"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "Invalid risk query.");
        }
        var query = new UserIndexQuery { Level = levelName, Segment = segmentName, MinLtv = ltv, Limit = pageSize, After = after };
        return TypedResults.Ok(await client.GetGrain<IUserIndexGrain>(0).QueryAsync(query));
    }

    private static async Task<Ok<RiskSummary>> SummaryAsync(IClusterClient client)
        => TypedResults.Ok(await client.GetGrain<IUserIndexGrain>(0).SummaryAsync());
}
