using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Analytics.Revenue;
using SampleMind.ClientApi.Security;
using SampleMind.Revenue;
using SampleMind.Rollups;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/revenue/mrr (MRR movements per UTC day, ChartMogul's definitions) and GET /api/revenue/summary (MRR, ARR).</summary>
public static class RevenueApi
{
    public static IEndpointRouteBuilder MapRevenueApi(this IEndpointRouteBuilder app)
    {
        var revenue = app.MapGroup("/api/revenue").WithTags("Revenue").RequireApiRole(ApiRole.Read);

        revenue.MapGet("/mrr", GetMrrAsync)
            .WithName("GetMrrMovements")
            .WithSummary("MRR movements per UTC day from Stripe subscriptions (new, expansion, contraction, churn, "
                + "reactivation, net) with MRR and paying customers at the end of each day, `from` to `to` (inclusive; "
                + "default: the last 30 days).");

        revenue.MapGet("/summary", GetSummaryAsync)
            .WithName("GetRevenueSummary")
            .WithSummary("MRR, ARR (= 12 × MRR) and paying customers at the end of `date` (UTC; default today).");

        return app;
    }

    private static async Task<Results<Ok<MrrRow[]>, ValidationProblem>> GetMrrAsync(
        string? from, string? to, IClusterClient client, TimeProvider time)
    {
        if (KpisApi.ParseRange(from, to, time) is not { } range)
        {
            return KpisApi.RangeProblem(from, to, time);
        }
        return TypedResults.Ok(await RowsAsync(client, range.From, range.To));
    }

    private static async Task<Results<Ok<RevenueSummary>, ValidationProblem>> GetSummaryAsync(
        string? date, IClusterClient client, TimeProvider time)
    {
        var day = date ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        if (KpisApi.ParseRange(day, day, time) is not { } range)
        {
            return KpisApi.RangeProblem(date, date, time);
        }
        var row = (await RowsAsync(client, range.To, range.To))[0];
        return TypedResults.Ok(new RevenueSummary(row.Date, row.Mrr, row.Mrr * 12, row.Customers));
    }

    /// <summary>
    /// The rows of <paramref name="from"/>..<paramref name="to"/>: the movements of every catalogued month up to
    /// <paramref name="to"/> (MRR is their running sum).
    /// </summary>
    internal static async Task<MrrRow[]> RowsAsync(IClusterClient client, DateOnly from, DateOnly to)
    {
        var last = to.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var months = (await client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.MrrMonths).GetKeysAsync())
            .Where(m => string.CompareOrdinal(m, last) <= 0);
        var totals = await Task.WhenAll(months.Select(m => client.GetGrain<IMrrMonthGrain>(m).GetTotalsAsync()));
        var days = new Dictionary<int, MrrDayFigures>();
        foreach (var month in totals)
        {
            foreach (var (day, figures) in month.Days)
            {
                days[day] = new MrrDayFigures
                {
                    New = figures.New, Expansion = figures.Expansion, Contraction = figures.Contraction, Churn = figures.Churn,
                    Reactivation = figures.Reactivation, NewCustomers = figures.NewCustomers,
                    ReactivatedCustomers = figures.ReactivatedCustomers, ChurnedCustomers = figures.ChurnedCustomers,
                };
            }
        }
        return [.. MrrReport.Rows(days, from.DayNumber, to.DayNumber).Select(r =>
            new MrrRow(r.Date, r.Mrr, r.New, r.Expansion, r.Contraction, r.Churn, r.Reactivation, r.Net, r.Customers))];
    }
}

/// <summary>MRR, ARR and paying customers at the end of one UTC day.</summary>
public sealed record class RevenueSummary(DateOnly Date, decimal Mrr, decimal Arr, int Customers);
