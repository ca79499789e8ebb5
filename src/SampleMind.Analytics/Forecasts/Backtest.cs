namespace SampleMind.Analytics.Forecasts;

/// <summary>One forecast origin of a backtest: the first <see cref="History"/> days were known.</summary>
public sealed record class BacktestOrigin(
    int History, double[] Actual, ForecastStep[] Method, double[] SeasonalNaive, double? MethodMape, double? NaiveMape, int Covered);

/// <summary>
/// Rolling-origin figures of one series. MAPE = 100 · mean |actual − forecast| / actual over every (origin, step)
/// pair whose actual is above 0 (pairs with an actual of 0 have no percentage error); coverage = the share of all
/// pairs whose actual lies inside the 85 % interval [lower, upper].
/// </summary>
public sealed record class BacktestResult(
    int Days, int Horizon, int Step, IReadOnlyList<BacktestOrigin> Origins, int Pairs, int MapePairs,
    double? MethodMape, double? NaiveMape, double? Coverage);

/// <summary>
/// Time-series cross-validation (fpp3 §5.10): forecast from origins n₀, n₀ + step, … (n₀ = the least history),
/// each with only the days before it, while the origin plus the horizon fits the series.
/// </summary>
public static class Backtest
{
    /// <summary>The origins' history lengths of a series of <paramref name="days"/> days.</summary>
    public static IEnumerable<int> OriginsOf(int days, int horizon, int step, int minHistory = Forecaster.MinHistory)
    {
        for (var n = minHistory; n + horizon <= days; n += step)
        {
            yield return n;
        }
    }

    /// <summary>The backtest of <paramref name="series"/>; <paramref name="onOrigin"/> is told after each origin.</summary>
    public static BacktestResult Run(IReadOnlyList<double> series, int horizon, int step, Action<int>? onOrigin = null,
        int minHistory = Forecaster.MinHistory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minHistory, Forecaster.MinHistory);
        var origins = new List<BacktestOrigin>();
        var done = 0;
        foreach (var n in OriginsOf(series.Count, horizon, step, minHistory))
        {
            var history = series.Take(n).ToArray();
            var actual = series.Skip(n).Take(horizon).ToArray();
            var method = Forecaster.Forecast(history, horizon);
            var naive = Forecaster.SeasonalNaive(history, horizon);
            var covered = actual.Where((a, h) => method[h].Lower <= a && a <= method[h].Upper).Count();
            origins.Add(new BacktestOrigin(n, actual, method, naive,
                Mape(actual, [.. method.Select(m => m.Baseline)]), Mape(actual, naive), covered));
            onOrigin?.Invoke(++done);
        }

        var pairs = origins.Sum(o => o.Actual.Length);
        var mapePairs = origins.Sum(o => o.Actual.Count(a => a > 0));
        double? Pooled(Func<BacktestOrigin, int, double> forecast) => mapePairs == 0
            ? null
            : 100 * origins.Sum(o => o.Actual.Select((a, h) => a > 0 ? Math.Abs(a - forecast(o, h)) / a : 0).Sum()) / mapePairs;
        return new BacktestResult(series.Count, horizon, step, origins, pairs, mapePairs,
            Pooled((o, h) => o.Method[h].Baseline), Pooled((o, h) => o.SeasonalNaive[h]),
            pairs == 0 ? null : (double)origins.Sum(o => o.Covered) / pairs);
    }

    /// <summary>100 · mean |a − f| / a over the actuals above 0; null when there is none.</summary>
    public static double? Mape(IReadOnlyList<double> actual, IReadOnlyList<double> forecast)
    {
        double sum = 0;
        var count = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            if (actual[i] > 0)
            {
                sum += Math.Abs(actual[i] - forecast[i]) / actual[i];
                count++;
            }
        }
        return count == 0 ? null : 100 * sum / count;
    }
}
