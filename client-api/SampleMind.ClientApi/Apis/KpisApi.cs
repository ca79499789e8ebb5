using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using SampleMind.Kpis;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/kpis (the seed's KPI day rows, live) and GET /api/kpis/weekly (WAP per ISO week).</summary>
public static class KpisApi
{
    public const int MaxDays = 366;

    public static IEndpointRouteBuilder MapKpisApi(this IEndpointRouteBuilder app)
    {
        var kpis = app.MapGroup("/api/kpis").WithTags("KPIs").RequireApiRole(ApiRole.Read);

        kpis.MapGet("/", GetDaysAsync)
            .WithName("GetKpiDays")
            .WithSummary("The KPI day rows (dau, wap, new_signups, revenue, arpu, conversion, …) from `from` to `to` (UTC dates, inclusive; default: the last 30 days).");

        kpis.MapGet("/weekly", GetWeeksAsync)
            .WithName("GetKpiWeeks")
            .WithSummary("WAP (users with at least 5 analyses in the week) per ISO week touching `from`–`to`.");

        return app;
    }

    private static async Task<Results<Ok<KpiDayRow[]>, ValidationProblem>> GetDaysAsync(string? from, string? to, IClusterClient client, TimeProvider time)
    {
        if (ParseRange(from, to, time) is not { } range)
        {
            return RangeProblem(from, to, time);
        }
        return TypedResults.Ok(await GetDayRowsAsync(client, range.From, range.To));
    }

    /// <summary>The KPI day rows from <paramref name="from"/> to <paramref name="to"/> (inclusive), one grain call per day.</summary>
    internal static Task<KpiDayRow[]> GetDayRowsAsync(IClusterClient client, DateOnly from, DateOnly to)
    {
        var days = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(from.AddDays);
        return Task.WhenAll(days.Select(d => client.GetGrain<IKpiDayGrain>(DayKey(d)).GetAsync()));
    }

    private static async Task<Results<Ok<KpiWeekRow[]>, ValidationProblem>> GetWeeksAsync(string? from, string? to, IClusterClient client, TimeProvider time)
    {
        if (ParseRange(from, to, time) is not { } range)
        {
            return RangeProblem(from, to, time);
        }
        var weeks = new SortedSet<string>(StringComparer.Ordinal);
        for (var d = range.From; d <= range.To; d = d.AddDays(1))
        {
            var date = d.ToDateTime(TimeOnly.MinValue);
            weeks.Add(string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(date):D4}-W{ISOWeek.GetWeekOfYear(date):D2}"));
        }
        var rows = await Task.WhenAll(weeks.Select(w => client.GetGrain<IKpiWeekGrain>(w).GetAsync()));
        return TypedResults.Ok(rows);
    }

    /// <summary>The requested days: both bounds given, or the 30 days up to <c>to</c> (default today), or 30 days from <c>from</c>.</summary>
    internal static (DateOnly From, DateOnly To)? ParseRange(string? from, string? to, TimeProvider time)
        => Validate(from, to, time, out var range) is null ? range : null;

    internal static ValidationProblem RangeProblem(string? from, string? to, TimeProvider time)
        => TypedResults.ValidationProblem(Validate(from, to, time, out _)!, detail: "Invalid date range.");

    private static Dictionary<string, string[]>? Validate(string? from, string? to, TimeProvider time, out (DateOnly From, DateOnly To) range)
    {
        range = default;
        var errors = new Dictionary<string, string[]>();
        DateOnly f = default, t = default;
        if (from is not null && !TryParseDate(from, out f))
        {
            errors["from"] = [$"'{from}' is not a date (YYYY-MM-DD)"];
        }
        if (to is not null && !TryParseDate(to, out t))
        {
            errors["to"] = [$"'{to}' is not a date (YYYY-MM-DD)"];
        }
        if (errors.Count > 0)
        {
            return errors;
        }
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        (f, t) = (from, to) switch
        {
            (null, null) => (today.AddDays(-29), today),
            (null, _) => (t.AddDays(-29), t),
            (_, null) => (f, f.AddDays(29)),
            _ => (f, t),
        };
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
            return errors;
        }
        range = (f, t);
        return null;
    }

    private static bool TryParseDate(string text, out DateOnly date)
        => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    private static string DayKey(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
