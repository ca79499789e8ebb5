using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.ClientApi.Quality;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/quality: data quality per source and UTC day of receipt (README "Data quality").</summary>
public static class QualityApi
{
    /// <summary>The days answered when no range is given.</summary>
    public const int DefaultDays = 14;

    /// <summary>The longest range one request may ask for.</summary>
    public const int MaxDays = 92;

    public static IEndpointRouteBuilder MapQualityApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/quality").WithTags("Quality").RequireApiRole(ApiRole.Read)
            .MapGet("/", GetAsync)
            .WithName("GetDataQuality")
            .WithSummary("Per source (context.library.name) and UTC day of receipt, `from` to `to` (inclusive; default: the last "
                + "14 days): received, accepted, stored, rejected by reason, duplicates, out-of-order, completeness, validity, "
                + "timeliness (lag p50/p95, share within one hour), consistency and the quality score (their mean).");
        return app;
    }

    private static async Task<Results<Ok<QualityReport>, ValidationProblem>> GetAsync(
        QualityReports reports, TimeProvider time, CancellationToken cancellationToken, string? from = null, string? to = null)
    {
        var errors = new Dictionary<string, string[]>();
        var start = Parse(from, "from", errors);
        var end = Parse(to, "to", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "Invalid date range.");
        }
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var t = end ?? (start is { } s ? s.AddDays(DefaultDays - 1) : today);
        var f = start ?? t.AddDays(1 - DefaultDays);
        if (f > t)
        {
            errors["from"] = [$"from ({f:yyyy-MM-dd}) is after to ({t:yyyy-MM-dd})"];
        }
        else if (t.DayNumber - f.DayNumber + 1 > MaxDays)
        {
            errors["to"] = [$"the range is longer than {MaxDays} days"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "Invalid date range.");
        }
        return TypedResults.Ok(await reports.GetAsync(f, t, cancellationToken));
    }

    private static DateOnly? Parse(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return null;
        }
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }
        errors[name] = [$"'{text}' is not a date (YYYY-MM-DD)"];
        return null;
    }
}
