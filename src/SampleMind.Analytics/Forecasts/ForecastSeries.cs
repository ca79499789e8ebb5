namespace SampleMind.Analytics.Forecasts;

/// <summary>A daily series: <see cref="Values"/>[i] is the value of <see cref="Start"/> + i days.</summary>
public sealed record class DailySeries(DateOnly Start, double[] Values)
{
    /// <summary>The last day (the day before <see cref="Start"/> when empty).</summary>
    public DateOnly End => Start.AddDays(Values.Length - 1);
}

/// <summary>
/// The forecast series from the KPI day rows and the MRR rows, one definition for the API and the backtest:
/// people (DAU) and signups from the first day anyone was active; MRR from Stripe from the first day with any MRR, else
/// from events as the dashboard's MRR tile counts it, the revenue of the trailing 30 days, from the first day with 30
/// days of history (the 30th day from the first active one).
/// </summary>
public static class ForecastSeries
{
    public const int RevenueWindow = 30;

    /// <summary><paramref name="values"/> of the days from <paramref name="from"/> on, from the first with activity &gt; 0.</summary>
    public static DailySeries SinceFirstActive(DateOnly from, IReadOnlyList<double> values, IReadOnlyList<double> activity)
    {
        var first = Forecaster.FirstNonZero(activity);
        return new DailySeries(from.AddDays(first), [.. values.Skip(first)]);
    }

    /// <summary>The trailing-30-day revenue of each day from the first active day + 29 on.</summary>
    public static DailySeries TrailingRevenue(DateOnly from, IReadOnlyList<double> revenue, IReadOnlyList<double> activity)
    {
        var first = Forecaster.FirstNonZero(activity);
        var sums = Forecaster.TrailingSums([.. revenue.Skip(first)], RevenueWindow);
        return new DailySeries(from.AddDays(first + RevenueWindow - 1), sums);
    }

    /// <summary>Stripe's end-of-day MRR from the first day it is above 0.</summary>
    public static DailySeries StripeMrr(DateOnly from, IReadOnlyList<double> mrr)
    {
        var first = Forecaster.FirstNonZero(mrr);
        return new DailySeries(from.AddDays(first), [.. mrr.Skip(first)]);
    }
}
