using SampleMind.Analytics.Forecasts;

namespace SampleMind.UnitTests.Forecasts;

public sealed class ForecasterTests
{
    [Fact]
    public void SeasonalNaive_RepeatsTheLastObservedWeek()
    {
        double[] history = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

        var forecast = Forecaster.SeasonalNaive(history, 10);

        // fpp3: ŷ(T+h|T) = y(T + h − m(k + 1)); the last week is 10 … 16.
        Assert.Equal([10, 11, 12, 13, 14, 15, 16, 10, 11, 12], forecast);
    }

    [Fact]
    public void TrailingSums_AreTheWindowSums_FromTheFirstFullWindow()
        => Assert.Equal([6, 9, 12], Forecaster.TrailingSums([1, 2, 3, 4, 5], 3));

    [Fact]
    public void Forecast_FloorsAtZero_AndRefusesShortHistory()
    {
        var falling = Enumerable.Range(0, 40).Select(t => Math.Max(0, 50 - 2.0 * t) + (t % 7 == 0 ? 3 : 0)).ToArray();

        var forecast = Forecaster.Forecast(falling, 60);

        Assert.Equal(60, forecast.Length);
        Assert.All(forecast, f => Assert.True(f.Lower >= 0 && f.Baseline >= f.Lower && f.Upper >= f.Baseline));
        var error = Assert.Throws<ArgumentException>(() => Forecaster.Forecast(falling[..27]));
        Assert.StartsWith("needs at least 28 days of history, has 27", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backtest_PoolsTheErrorsOfEveryOrigin_AsDefined()
    {
        var random = new Random(17);
        var series = Enumerable.Range(0, 70).Select(t => 200 + t + 30 * Math.Sin(2 * Math.PI * t / 7) + 20 * random.NextDouble()).ToArray();
        series[50] = 0; // an actual of 0: no percentage error, but counted in coverage

        var result = Backtest.Run(series, horizon: 14, step: 7);

        Assert.Equal([28, 35, 42, 49, 56], result.Origins.Select(o => o.History));
        Assert.Equal(70, result.Pairs);
        Assert.Equal(68, result.MapePairs); // day 50 lies in the windows of origins 42 and 49
        // Recomputed from scratch: each origin's own forecast from only its history.
        double methodSum = 0, naiveSum = 0;
        var covered = 0;
        foreach (var n in new[] { 28, 35, 42, 49, 56 })
        {
            var forecast = Forecaster.Forecast(series[..n], 14);
            var naive = Forecaster.SeasonalNaive(series[..n], 14);
            for (var h = 0; h < 14; h++)
            {
                var actual = series[n + h];
                covered += forecast[h].Lower <= actual && actual <= forecast[h].Upper ? 1 : 0;
                if (actual > 0)
                {
                    methodSum += Math.Abs(actual - forecast[h].Baseline) / actual;
                    naiveSum += Math.Abs(actual - naive[h]) / actual;
                }
            }
        }
        Assert.Equal(100 * methodSum / 68, result.MethodMape!.Value, 9);
        Assert.Equal(100 * naiveSum / 68, result.NaiveMape!.Value, 9);
        Assert.Equal(covered / 70.0, result.Coverage!.Value, 12);
    }
}
