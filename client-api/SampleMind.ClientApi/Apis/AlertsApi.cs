using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Alerts;

using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/alerts: the alert log, newest first.</summary>
public static class AlertsApi
{
    private const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/alerts").WithTags("Alerts").RequireApiRole(ApiRole.Read);

        alerts.MapGet("/", ListAsync)
            .WithName("ListAlerts")
            .WithSummary("The alert log, newest first: rule, severity (critical|warning|info), state (firing|resolved), value, threshold, message, firedAt, resolvedAt. ?state=firing|resolved filters, ?limit= caps (default 200, at most 1000).")
            .ProducesValidationProblem();

        return app;
    }

    private static async Task<Results<Ok<AlertView[]>, ValidationProblem>> ListAsync(string? state, int? limit, IClusterClient client)
    {
        var errors = new Dictionary<string, string[]>();
        if (state is not (null or "firing" or "resolved"))
        {
            errors["state"] = ["state is firing or resolved"];
        }
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit is 1 to {MaxLimit}"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        return TypedResults.Ok(await client.GetGrain<IAlertLogGrain>(0).ListAsync(state, limit ?? 200));
    }
}
