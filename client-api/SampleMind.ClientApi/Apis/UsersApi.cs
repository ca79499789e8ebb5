using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Analytics.Privacy;
using SampleMind.Users;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/users/{id} (the 360° view) and GET /api/users/{id}/risk (the fast path for product APIs), both
/// recorded in the read audit.</summary>
public static class UsersApi
{
    private const int MaxUserIdLength = 256;

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").WithTags("Users").RequireApiRole(ApiRole.Read);

        users.MapGet("/{id}", GetUserAsync)
            .WithPersonReadAudit()
            .WithName("GetUser")
            .WithSummary("The live 360° view of one user: profile, activity, funnels, segment and its history, churn features, risk and LTV. PII traits (email, name, phone, address, ip) and the email are masked for read and growth keys.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        users.MapGet("/{id}/risk", GetRiskAsync)
            .WithPersonReadAudit()
            .WithName("GetUserRisk")
            .WithSummary("One user's segment, churn risk (score, level, top factors, actions) and LTV, right now.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult, ValidationProblem>> GetUserAsync(string id, IClusterClient client, ClaimsPrincipal user, PiiProtector pii)
    {
        if (Validate(id) is { } problem)
        {
            return problem;
        }
        var view = await client.GetGrain<IUserGrain>(id).GetAsync();
        return view is null ? NotFound(id) : TypedResults.Ok(PiiMasking.For(user, view, pii));
    }

    private static async Task<Results<Ok<RiskView>, ProblemHttpResult, ValidationProblem>> GetRiskAsync(string id, IClusterClient client)
    {
        if (Validate(id) is { } problem)
        {
            return problem;
        }
        var risk = await client.GetGrain<IUserGrain>(id).GetRiskAsync();
        return risk is null ? NotFound(id) : TypedResults.Ok(risk);
    }

    private static ValidationProblem? Validate(string id)
        => string.IsNullOrWhiteSpace(id) || id.Length > MaxUserIdLength
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["id"] = [$"a user id is 1 to {MaxUserIdLength} characters"],
            })
            : null;

    private static ProblemHttpResult NotFound(string id)
        => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "User not found",
            detail: $"no events have been received for user '{id}'");
}
