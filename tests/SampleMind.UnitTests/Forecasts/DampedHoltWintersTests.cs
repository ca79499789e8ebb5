using SampleMind.Analytics.Forecasts;

namespace SampleMind.UnitTests.Forecasts;

/// <summary>ETS(A,Ad,A) with a weekly season against known truths: series it must recover, and the textbook's formulas.</summary>
public sealed class DampedHoltWintersTests
{
    private static double[] TrendAndWeeklySine(int days, int start = 0)
        => [.. Enumerable.Range(start, days).Select(t => 100 + 0.5 * t + 10 * Math.Sin(2 * Math.PI * t / 7))];

    private static double[] Noisy(int days, int seed)
    {
        var random = new Random(seed);
        return [.. TrendAndWeeklySine(days).Select(v => v + 8 * (random.NextDouble() - 0.5))];
    }

    [Fact]
    public void TrendPlusWeeklySine_IsRecovered_WithinHalfAPercentForAWeek_And2Point5PercentOverFourWeeks()
    {
        var model = DampedHoltWinters.Fit(TrendAndWeeklySine(140));
        var truth = TrendAndWeeklySine(28, start: 140);

        var forecast = model.Forecast(28);

        double Worst(int days) => forecast.Take(days).Max(f => Math.Abs(f.Baseline - truth[f.Horizon - 1]) / truth[f.Horizon - 1]);
        Assert.True(Worst(7) < 0.005, $"worst relative error in a week {Worst(7):P3}");
        // The damped trend (φ ≤ 0.98) extrapolates a straight line a little short: by design, not by error.
        Assert.True(Worst(28) < 0.025, $"worst relative error in four weeks {Worst(28):P3}");
        // The seasonal states are the sine (the trend is in the level): within 0.5 of 10·sin(2πt/7).
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(10 * Math.Sin(2 * Math.PI * (133 + i) / 7), model.Seasonals[i], 0.5);
        }
    }

    [Fact]
    public void ConstantSeries_GivesAFlatForecast_WithAZeroWidthInterval()
    {
        var model = DampedHoltWinters.Fit(Enumerable.Repeat(42.0, 35).ToArray());

        var forecast = model.Forecast(183);

        Assert.All(forecast, f =>
        {
            Assert.Equal(42, f.Baseline, 1e-9);
            Assert.Equal(42, f.Lower, 1e-9);
            Assert.Equal(42, f.Upper, 1e-9);
        });
    }

    [Fact]
    public void IntervalWidth_GrowsWithTheHorizon()
    {
        var forecast = DampedHoltWinters.Fit(Noisy(120, seed: 5)).Forecast(183);

        var widths = forecast.Select(f => f.Upper - f.Lower).ToArray();
        for (var h = 1; h < widths.Length; h++)
        {
            Assert.True(widths[h] >= widths[h - 1], $"width at {h + 1} ({widths[h]}) < width at {h} ({widths[h - 1]})");
        }
        Assert.True(widths[182] > 1.5 * widths[0], $"{widths[182]} vs {widths[0]}");
    }

    [Fact]
    public void OneStepInterval_IsTheNormalMultiplierOfFpp3Table5_1_TimesSigma()
    {
        var model = DampedHoltWinters.Fit(Noisy(84, seed: 9));

        var first = model.Forecast(1, coverage: 0.85)[0];
        var ninetyFive = model.Forecast(1, coverage: 0.95)[0];

        // fpp3 Table 5.1: 85 % → 1.44, 95 % → 1.96 (to two decimals).
        Assert.Equal(1.44, (first.Upper - first.Baseline) / Math.Sqrt(model.Sigma2), 2);
        Assert.Equal(1.96, (ninetyFive.Upper - ninetyFive.Baseline) / Math.Sqrt(model.Sigma2), 2);
        Assert.Equal(first.Baseline - first.Lower, first.Upper - first.Baseline, 9);
    }

    [Theory]
    [InlineData(0.3, 1)]
    [InlineData(0.3, 10)]
    [InlineData(0.8, 183)]
    public void VarianceFactor_OfSimpleExponentialSmoothing_IsFpp3s_OnePlusAlphaSquaredHMinusOne(double alpha, int h)
        => Assert.Equal(1 + alpha * alpha * (h - 1), DampedHoltWinters.VarianceFactor(new(alpha, 0, 0, 0.9), 7, h), 12);

    [Theory]
    [InlineData(0.5, 0.1, 2)]
    [InlineData(0.5, 0.1, 30)]
    [InlineData(0.2, 0.05, 183)]
    public void VarianceFactor_OfHoltsLinearTrend_IsFpp3sTable8_8(double alpha, double beta, int h)
    {
        // ETS(A,A,N): σ_h² = σ²[1 + (h − 1){α² + αβh + β²h(2h − 1)/6}]
        var expected = 1 + (h - 1) * (alpha * alpha + alpha * beta * h + beta * beta * h * (2 * h - 1) / 6.0);
        Assert.Equal(expected, DampedHoltWinters.VarianceFactor(new(alpha, beta, 0, 1), 7, h), 9);
    }

    [Theory]
    [InlineData(0.4, 0.2, 7)]
    [InlineData(0.4, 0.2, 8)]
    [InlineData(0.1, 0.3, 183)]
    public void VarianceFactor_OfAdditiveSeasonalWithoutTrend_IsFpp3sTable8_8(double alpha, double gamma, int h)
    {
        // ETS(A,N,A): σ_h² = σ²[1 + α²(h − 1) + γk(2α + γ)], k = ⌊(h − 1)/m⌋
        var k = (h - 1) / 7;
        var expected = 1 + alpha * alpha * (h - 1) + gamma * k * (2 * alpha + gamma);
        Assert.Equal(expected, DampedHoltWinters.VarianceFactor(new(alpha, 0, gamma, 0.9), 7, h), 12);
    }

    [Fact]
    public void ForecastVariance_IsSigmaSquaredTimesTheVarianceFactor_AtEveryHorizon()
    {
        var model = DampedHoltWinters.Fit(Noisy(100, seed: 3));
        var z = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.925);

        foreach (var step in model.Forecast(60))
        {
            var sigmaH = Math.Sqrt(model.Sigma2 * DampedHoltWinters.VarianceFactor(model.Parameters, 7, step.Horizon));
            Assert.Equal(z * sigmaH, step.Upper - step.Baseline, 9);
        }
    }

    [Fact]
    public void FittedParameters_StayInsideTheAdmissibleRegion()
    {
        var p = DampedHoltWinters.Fit(Noisy(90, seed: 11)).Parameters;

        Assert.InRange(p.Alpha, 0, 1);
        Assert.InRange(p.Beta, 0, p.Alpha);
        Assert.InRange(p.Gamma, 0, 1 - p.Alpha);
        Assert.InRange(p.Phi, DampedHoltWinters.MinPhi, DampedHoltWinters.MaxPhi);
    }

    [Fact]
    public void PointForecast_FollowsTheDampedTrendFormula()
    {
        var model = DampedHoltWinters.WithParameters(Noisy(70, seed: 2), new(0.4, 0.05, 0.1, 0.9));

        var forecast = model.Forecast(20);

        for (var h = 1; h <= 20; h++)
        {
            var phiH = Enumerable.Range(1, h).Sum(j => Math.Pow(0.9, j));
            var seasonal = model.Seasonals[(h - 1) % 7];
            Assert.Equal(model.Level + phiH * model.Trend + seasonal, forecast[h - 1].Baseline, 9);
        }
    }
}
