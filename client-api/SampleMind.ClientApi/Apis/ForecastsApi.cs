using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Analytics.Forecasts;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>
/// GET /api/forecasts/mrr and GET /api/forecasts/users: six months of daily forecasts (ETS(A,Ad,A), weekly season)
/// with an 85 % prediction interval, fitted to the last year of history up to yesterday (today is not over yet).
/// </summary>
public static class ForecastsApi
{
    public static IEndpointRouteBuilder MapForecastsApi(this IEndpointRouteBuilder app)
    {
        var forecasts = app.MapGroup("/api/forecasts").WithTags("Forecasts").RequireApiRole(ApiRole.Read);

        forecasts.MapGet("/mrr", GetMrrAsync)
            .WithName("GetMrrForecast")
            .WithSummary("MRR for the next 183 days (from today, UTC): baseline and 85 % interval. Stripe's MRR when "
                + "Revenue:Source is stripe or any Stripe MRR exists, else the events' revenue of the trailing 30 days.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        forecasts.MapGet("/users", GetUsersAsync)
            .WithName("GetUsersForecast")
            .WithSummary("Active people per day (`series=dau`, default) or new signups per day (`series=signups`) "
                + "for the next 183 days: baseline and 85 % interval.")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesValidationProblem();

        return app;
    }

    private static async Task<Results<Ok<ForecastResponse>, ProblemHttpResult>> GetMrrAsync(
        IClusterClient client, IConfiguration configuration, TimeProvider time)
    {
        var (from, to) = HistoryRange(time);
        var stripe = string.Equals(configuration["Revenue:Source"], "stripe", StringComparison.OrdinalIgnoreCase);
        var mrrRows = await RevenueApi.RowsAsync(client, from, to);
        DailySeries series;
        if (stripe || mrrRows.Any(r => r.Mrr != 0))
        {
            series = ForecastSeries.StripeMrr(from, [.. mrrRows.Select(r => (double)r.Mrr)]);
        }
        else
        {
            var days = await KpisApi.GetDayRowsAsync(client, from, to);
            series = ForecastSeries.TrailingRevenue(from,
                [.. days.Select(d => (double)d.DailyRevenue)], [.. days.Select(d => (double)d.Dau)]);
        }
        return Respond(series, "mrr");
    }

    private static async Task<Results<Ok<ForecastResponse>, ProblemHttpResult, ValidationProblem>> GetUsersAsync(
        string? series, IClusterClient client, TimeProvider time)
    {
        var name = series ?? "dau";
        if (name is not ("dau" or "signups"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["series"] = [$"'{series}' is not a series: dau or signups"],
            });
        }
        var (from, to) = HistoryRange(time);
        var days = await KpisApi.GetDayRowsAsync(client, from, to);
        var values = name == "dau" ? days.Select(d => (double)d.Dau) : days.Select(d => (double)d.NewSignups);
        var active = ForecastSeries.SinceFirstActive(from, [.. values], [.. days.Select(d => (double)d.Dau)]);
        return Respond(active, name).Result switch
        {
            Ok<ForecastResponse> ok => ok,
            var other => (ProblemHttpResult)other,
        };
    }

    /// <summary>The year of complete days up to yesterday (UTC), as many as /api/kpis serves at once.</summary>
    private static (DateOnly From, DateOnly To) HistoryRange(TimeProvider time)
    {
        var yesterday = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-1);
        return (yesterday.AddDays(-(KpisApi.MaxDays - 1)), yesterday);
    }

    private static Results<Ok<ForecastResponse>, ProblemHttpResult> Respond(DailySeries series, string name)
    {
        if (series.Values.Length < Forecaster.MinHistory)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Too little history to forecast",
                detail: $"The {name} forecast needs at least {Forecaster.MinHistory} complete days of history; "
                    + $"there {(series.Values.Length == 1 ? "is" : "are")} {series.Values.Length}"
                    + (name == "mrr" ? " (MRR from events counts from the 30th day of activity)." : "."),
                extensions: new Dictionary<string, object?>
                {
                    ["series"] = name,
                    ["daysNeeded"] = Forecaster.MinHistory,
                    ["daysAvailable"] = series.Values.Length,
                });
        }
        var steps = Forecaster.Forecast(series.Values);
        var points = steps.Select(s => new ForecastPoint(series.End.AddDays(s.Horizon),
            Math.Round(s.Baseline, 2), Math.Round(s.Lower, 2), Math.Round(s.Upper, 2))).ToArray();
        return TypedResults.Ok(new ForecastResponse(Forecaster.Method, Forecaster.Horizon, points));
    }
}

/// <summary>A daily forecast: the method, the number of days ahead and one point per day (the contract of issue 19).</summary>
public sealed record class ForecastResponse(string Method, int Horizon, ForecastPoint[] Points);

/// <summary>One forecast day: the baseline (point forecast) and the 85 % prediction interval.</summary>
public sealed record class ForecastPoint(DateOnly Date, double Baseline, double Lower, double Upper);
