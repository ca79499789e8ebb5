using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using SampleMind.Campaigns;
using System.Security.Claims;
using SampleMind.ClientApi.Privacy;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>
/// GET /api/campaigns, GET /api/campaigns/{id} (economics under first-touch or last-touch attribution, <c>?model=</c>:
/// CAC, LTV, ROI) and POST /api/campaigns/{id}/spend.
/// </summary>
public static class CampaignsApi
{
    private const int MaxCampaignIdLength = 256;
    private const int MaxIdempotencyKeyLength = 256;

    public static IEndpointRouteBuilder MapCampaignsApi(this IEndpointRouteBuilder app)
    {
        var campaigns = app.MapGroup("/api/campaigns").WithTags("Campaigns").RequireApiRole(ApiRole.Read);

        campaigns.MapGet("/", ListByModelAsync)
            .WithName("ListCampaigns")
            .WithSummary("Every campaign: attributed people, signups, paying conversions, realized revenue, spend, CAC, LTV and ROI. "
                + "?model=first_touch (default) or last_touch; each campaign says its model in `attribution`. "
                + "Figures over fewer than Privacy:MinGroupSize people are suppressed for non-admin keys.")
            .ProducesValidationProblem();

        campaigns.MapGet("/{id}", GetAsync)
            .WithName("GetCampaign")
            .WithSummary("One campaign's economics (?model=first_touch|last_touch).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        campaigns.MapPost("/{id}/spend", AddSpendAsync)
            .WithName("AddCampaignSpend")
            .WithSummary("Records spend on a campaign: JSON {\"amount\": 1234.5, \"date\": \"2026-11-01\"} (date optional). An Idempotency-Key header makes a retried POST count once.")
            .ProducesValidationProblem()
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The body is read by hand (each field gets its own validation message), so describe it here.
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new()
                        {
                            Schema = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Required = new HashSet<string> { "amount" },
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["amount"] = new OpenApiSchema { Type = JsonSchemaType.Number, Description = "spend in USD, greater than zero" },
                                    ["date"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date", Description = "the day of the spend (optional)" },
                                },
                            },
                        },
                    },
                };
                return Task.CompletedTask;
            })
            .RequireApiRole(ApiRole.Growth);

        return app;
    }

    private static async Task<Results<Ok<CampaignView[]>, ValidationProblem>> ListByModelAsync(
        string? model, IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        if (!AttributionModels.TryParse(model, out var attribution))
        {
            return ModelProblem();
        }
        var views = (await ListAsync(client, attribution)).Value!;
        return TypedResults.Ok(policy.For(user) is { } groups ? [.. views.Select(groups.Campaign)] : views);
    }

    internal static async Task<Ok<CampaignView[]>> ListAsync(IClusterClient client, AttributionModel model = AttributionModel.FirstTouch)
    {
        var ids = await client.GetGrain<ICampaignCatalogGrain>(ICampaignCatalogGrain.Key).ListAsync();
        var views = await Task.WhenAll(ids.Select(id => client.GetGrain<ICampaignGrain>(id).GetAttributedAsync(model)));
        return TypedResults.Ok(views.OfType<CampaignView>().ToArray());
    }

    private static async Task<Results<Ok<CampaignView>, ProblemHttpResult, ValidationProblem>> GetAsync(
        string id, string? model, IClusterClient client, ClaimsPrincipal user, SmallGroupPolicy policy)
    {
        if (ValidateId(id) is { } problem)
        {
            return problem;
        }
        if (!AttributionModels.TryParse(model, out var attribution))
        {
            return ModelProblem();
        }
        var view = await client.GetGrain<ICampaignGrain>(id).GetAttributedAsync(attribution);
        return view is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Campaign not found",
                detail: $"no user or spend has been recorded for campaign '{id}'")
            : TypedResults.Ok(policy.For(user) is { } groups ? groups.Campaign(view) : view);
    }

    private static async Task<Results<Ok<CampaignView>, ValidationProblem>> AddSpendAsync(
        string id, HttpRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, IClusterClient client)
    {
        if (ValidateId(id) is { } problem)
        {
            return problem;
        }
        var errors = new Dictionary<string, string[]>();
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength))
        {
            errors["Idempotency-Key"] = [$"an idempotency key is 1 to {MaxIdempotencyKeyLength} characters"];
        }
        decimal amount = 0;
        DateOnly? date = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = ["the body is a JSON object {\"amount\": number, \"date\": \"YYYY-MM-DD\"}"];
            }
            else
            {
                if (!root.TryGetProperty("amount", out var a))
                {
                    errors["amount"] = ["amount is required"];
                }
                else if (a.ValueKind != JsonValueKind.Number || !a.TryGetDecimal(out amount))
                {
                    errors["amount"] = ["amount must be a number"];
                }
                else if (amount <= 0)
                {
                    errors["amount"] = ["amount must be greater than zero"];
                }
                if (root.TryGetProperty("date", out var d) && d.ValueKind != JsonValueKind.Null)
                {
                    if (d.ValueKind == JsonValueKind.String
                        && DateOnly.TryParseExact(d.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                    {
                        date = parsed;
                    }
                    else
                    {
                        errors["date"] = ["date must be a date (YYYY-MM-DD)"];
                    }
                }
            }
        }
        catch (JsonException)
        {
            errors["body"] = ["the body is not JSON"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "Invalid spend.");
        }
        return TypedResults.Ok(await client.GetGrain<ICampaignGrain>(id).AddSpendAsync(amount, date, idempotencyKey));
    }

    private static ValidationProblem ModelProblem()
        => TypedResults.ValidationProblem(new Dictionary<string, string[]>
        {
            ["model"] = [$"the attribution model is {AttributionModels.FirstTouch} (the default) or {AttributionModels.LastTouch}"],
        });

    private static ValidationProblem? ValidateId(string id)
        => string.IsNullOrWhiteSpace(id) || id.Length > MaxCampaignIdLength
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["id"] = [$"a campaign id is 1 to {MaxCampaignIdLength} characters"],
            })
            : null;
}
