namespace SampleMind.Analytics.Forecasts;

/// <summary>
/// The product's daily forecast: exponential smoothing with a weekly season, ETS(A,N,A) or ETS(A,Ad,A) (damped additive
/// Holt-Winters), whichever has the lower AICc on the history (as fpp3's automatic ETS chooses), its point forecast as
/// the baseline and the model's 85 % prediction interval. The forecast series (MRR, people, signups) cannot be negative,
/// so the baseline and the bounds are floored at 0 (which changes no interval's coverage of a non-negative value).
/// </summary>
public static class Forecaster
{
    public const string Method = "ETS(A,N,A)|ETS(A,Ad,A) by AICc, m=7";
    public const int Period = 7;
    public const double Coverage = 0.85;

    /// <summary>The product's horizon: six months of days.</summary>
    public const int Horizon = 183;

    /// <summary>The least history a forecast takes: four weeks (two for the initial states, two to fit on).</summary>
    public const int MinHistory = 28;

    /// <summary>The forecast of the <paramref name="horizon"/> days after <paramref name="history"/> (oldest first).</summary>
    public static ForecastStep[] Forecast(IReadOnlyList<double> history, int horizon = Horizon, double coverage = Coverage)
    {
        if (history.Count < MinHistory)
        {
            throw new ArgumentException($"needs at least {MinHistory} days of history, has {history.Count}", nameof(history));
        }
        var model = Select(history);
        return [.. model.Forecast(horizon, coverage).Select(s =>
            new ForecastStep(s.Horizon, Math.Max(0, s.Baseline), Math.Max(0, s.Lower), Math.Max(0, s.Upper)))];
    }

    /// <summary>The model of lower AICc of ETS(A,N,A) and ETS(A,Ad,A) fitted to <paramref name="history"/>.</summary>
    public static DampedHoltWinters Select(IReadOnlyList<double> history)
    {
        var flat = DampedHoltWinters.Fit(history, Period, EtsTrend.None);
        var damped = DampedHoltWinters.Fit(history, Period, EtsTrend.Damped);
        return damped.Aicc < flat.Aicc ? damped : flat;
    }

    /// <summary>
    /// The seasonal-naive forecast (fpp3 §5.2): ŷ(T+h|T) = y(T+h−m(k+1)), k = ⌊(h−1)/m⌋ — the same weekday of the
    /// last observed week.
    /// </summary>
    public static double[] SeasonalNaive(IReadOnlyList<double> history, int horizon, int period = Period)
    {
        if (history.Count < period)
        {
            throw new ArgumentException($"needs at least {period} observations, has {history.Count}", nameof(history));
        }
        var t = history.Count - 1;
        return [.. Enumerable.Range(1, horizon).Select(h => history[t + h - period * ((h - 1) / period + 1)])];
    }

    /// <summary>The sums of each <paramref name="window"/> consecutive values, from the first full window on.</summary>
    public static double[] TrailingSums(IReadOnlyList<double> values, int window)
    {
        if (values.Count < window)
        {
            return [];
        }
        var sums = new double[values.Count - window + 1];
        double sum = 0;
        for (var i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window)
            {
                sum -= values[i - window];
            }
            if (i >= window - 1)
            {
                sums[i - window + 1] = sum;
            }
        }
        return sums;
    }

    /// <summary>The index of the first non-zero value (the series' history starts there); the count when all are zero.</summary>
    public static int FirstNonZero(IReadOnlyList<double> values)
    {
        var i = 0;
        while (i < values.Count && values[i] == 0)
        {
            i++;
        }
        return i;
    }
}
