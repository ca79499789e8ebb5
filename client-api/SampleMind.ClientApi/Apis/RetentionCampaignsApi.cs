using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SampleMind.Retention;

using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>Retention campaigns: POST (target, action, holdout, webhook), GET one with its delivery and uplift figures, GET all.</summary>
public static class RetentionCampaignsApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { AllowTrailingCommas = false };

    public static IEndpointRouteBuilder MapRetentionCampaignsApi(this IEndpointRouteBuilder app)
    {
        var campaigns = app.MapGroup("/api/retention-campaigns").WithTags("Retention campaigns").RequireApiRole(ApiRole.Growth);

        campaigns.MapPost("/", CreateAsync)
            .WithName("CreateRetentionCampaign")
            .WithSummary("Targets users from the user index ({\"target\": {\"segment\", \"riskLevel\", \"minLtv\", \"minScore\", \"maxUsers\"}}), assigns each to treatment or holdout (holdoutShare in [0, 0.5]) and delivers the action (discount_20, tutorial_email, card_update_reminder, support_callback, reengagement_email) to webhookUrl for each treated user, at least once with an Idempotency-Key. Optional: name, startAt (a past instant for back-tests), outcomeDays (14), activeDays (7). An Idempotency-Key header makes a retried POST return the first campaign.")
            .ProducesValidationProblem();

        campaigns.MapGet("/", ListAsync)
            .WithName("ListRetentionCampaigns")
            .WithSummary("Every retention campaign, newest first, with its figures.");

        campaigns.MapGet("/{id}", GetAsync)
            .WithName("GetRetentionCampaign")
            .WithSummary("One campaign: targeted, treated, holdout, delivered, failed, pending, and the outcome (retention of treated against holdout, uplift with its 95 % interval).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        campaigns.MapGet("/{id}/users", UsersAsync)
            .WithName("GetRetentionCampaignUsers")
            .WithSummary("The campaign's targeted users and their arm (?arm=treatment|holdout).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem();

        return app;
    }

    private static async Task<Results<Created<RetentionCampaignView>, Ok<RetentionCampaignView>, ValidationProblem>> CreateAsync(
        HttpRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, IClusterClient client)
    {
        RetentionCampaignRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<RetentionCampaignRequest>(request.Body, Json, request.HttpContext.RequestAborted);
        }
        catch (JsonException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"the body is not a campaign: {ex.Message}"] },
                detail: "Invalid retention campaign.");
        }
        if (body is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["a JSON object is required"] }, detail: "Invalid retention campaign.");
        }
        var created = await client.GetGrain<IRetentionCampaignsGrain>(0).CreateAsync(body with { IdempotencyKey = idempotencyKey });
        if (created.Errors is { } errors)
        {
            return TypedResults.ValidationProblem(errors, detail: "Invalid retention campaign: nothing was recorded or sent.");
        }
        var campaign = created.Campaign!;
        return created.Replayed ? TypedResults.Ok(campaign) : TypedResults.Created($"/api/retention-campaigns/{campaign.Id}", campaign);
    }

    private static async Task<Ok<RetentionCampaignView[]>> ListAsync(IClusterClient client)
        => TypedResults.Ok(await client.GetGrain<IRetentionCampaignsGrain>(0).ListAsync());

    private static async Task<Results<Ok<RetentionCampaignView>, ProblemHttpResult>> GetAsync(string id, IClusterClient client)
        => await client.GetGrain<IRetentionCampaignsGrain>(0).GetAsync(id) is { } campaign ? TypedResults.Ok(campaign) : NotFound(id);

    private static async Task<Results<Ok<RetentionAssignmentView[]>, ProblemHttpResult, ValidationProblem>> UsersAsync(string id, string? arm, IClusterClient client)
    {
        if (arm is not (null or "treatment" or "holdout"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["arm"] = ["arm is treatment or holdout"] });
        }
        return await client.GetGrain<IRetentionCampaignsGrain>(0).AssignmentsAsync(id, arm) is { } users ? TypedResults.Ok(users) : NotFound(id);
    }

    private static ProblemHttpResult NotFound(string id)
        => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Retention campaign not found", detail: $"no retention campaign '{id}'");
}
