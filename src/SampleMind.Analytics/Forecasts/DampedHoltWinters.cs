using MathNet.Numerics.Distributions;

namespace SampleMind.Analytics.Forecasts;

/// <summary>The smoothing parameters of ETS(A,Ad,A), in the parameterisation of Hyndman &amp; Athanasopoulos (fpp3, §8.3).</summary>
public readonly record struct HoltWintersParameters(double Alpha, double Beta, double Gamma, double Phi);

/// <summary>The trend component of the model: none, ETS(A,N,A), or additive damped, ETS(A,Ad,A).</summary>
public enum EtsTrend
{
    None,
    Damped,
}

/// <summary>One forecast day: the point forecast and its prediction interval.</summary>
public readonly record struct ForecastStep(int Horizon, double Baseline, double Lower, double Upper);

/// <summary>
/// Damped additive Holt-Winters, i.e. the innovations state-space model ETS(A,Ad,A) with season length m, or without
/// its trend (<see cref="EtsTrend.None"/>: b ≡ 0, β = 0, i.e. ETS(A,N,A)):
/// <code>
/// ŷ(t|t−1) = ℓ(t−1) + φ·b(t−1) + s(t−m)        e(t) = y(t) − ŷ(t|t−1)
/// ℓ(t) = ℓ(t−1) + φ·b(t−1) + α·e(t)      b(t) = φ·b(t−1) + β·e(t)      s(t) = s(t−m) + γ·e(t)
/// ŷ(T+h|T) = ℓ(T) + (φ + φ² + … + φʰ)·b(T) + s(T+h−m(k+1)),  k = ⌊(h−1)/m⌋
/// </code>
/// α, β, γ, φ minimise the sum of squared one-step errors (Nelder–Mead from several starts) within the usual
/// region 0 &lt; α &lt; 1, 0 &lt; β &lt; α, 0 &lt; γ &lt; 1 − α, 0.8 ≤ φ ≤ 0.98. Initial states by the classical
/// heuristic: a straight line through the means of the first two seasons, the first season's deviations from it
/// (centred) as the seasonal states.
/// <para>
/// Prediction intervals are the model's own: the h-step forecast error variance of a linear innovations model is
/// σ²·(1 + Σ_{j=1}^{h−1} c_j²) with c_j = α + β·(φ + … + φʲ) + γ·[j mod m = 0] (Hyndman et al. 2008, ch. 6; fpp3
/// Table 8.8 gives the special cases), σ² = SSE / (n − k) over the one-step errors, k = 4 parameters + 2 + (m − 1)
/// initial states; the interval is the point forecast ± z·σ_h with z the normal quantile of (1 + coverage) / 2.
/// </para>
/// </summary>
public sealed class DampedHoltWinters
{
    public const double MinPhi = 0.8;
    public const double MaxPhi = 0.98;

    private DampedHoltWinters(int period, EtsTrend trendKind, HoltWintersParameters parameters, double level, double trend,
        double[] seasonals, double sse, int observations)
    {
        Period = period;
        TrendKind = trendKind;
        Parameters = parameters;
        Level = level;
        Trend = trend;
        Seasonals = seasonals;
        Sse = sse;
        Observations = observations;
        FreeParameters = trendKind == EtsTrend.Damped ? 4 + 2 + (period - 1) : 2 + 1 + (period - 1);
        var k = FreeParameters;
        Sigma2 = observations > k ? sse / (observations - k) : sse / Math.Max(1, observations);
    }

    public EtsTrend TrendKind { get; }

    /// <summary>The model's name in the ETS taxonomy.</summary>
    public string Name => TrendKind == EtsTrend.Damped ? "ETS(A,Ad,A)" : "ETS(A,N,A)";

    /// <summary>k: the smoothing parameters plus the free initial states (the seasonal ones sum to 0).</summary>
    public int FreeParameters { get; }

    /// <summary>
    /// AICc = n·ln(SSE / n) + 2k + 2k(k + 1) / (n − k − 1), the Gaussian likelihood of additive errors up to a
    /// constant (fpp3 §8.6); +∞ when n ≤ k + 1.
    /// </summary>
    public double Aicc
    {
        get
        {
            var (n, k) = ((double)Observations, (double)FreeParameters);
            if (n <= k + 1)
            {
                return double.PositiveInfinity;
            }
            // A perfect fit: prefer it (ln 0 = −∞), the simpler model winning a tie.
            var fit = Sse <= 0 ? -1e300 + k : n * Math.Log(Sse / n);
            return fit + 2 * k + 2 * k * (k + 1) / (n - k - 1);
        }
    }

    /// <summary>The least number of observations a fit needs: two full seasons.</summary>
    public static int MinObservations(int period) => 2 * period;

    public int Period { get; }

    public HoltWintersParameters Parameters { get; }

    /// <summary>ℓ(T), the level at the last observation.</summary>
    public double Level { get; }

    /// <summary>b(T), the trend at the last observation.</summary>
    public double Trend { get; }

    /// <summary>s(T−m+1) … s(T): the seasonal states of the last season, oldest first.</summary>
    public IReadOnlyList<double> Seasonals { get; }

    /// <summary>Sum of the squared one-step errors over the fitted observations.</summary>
    public double Sse { get; }

    public int Observations { get; }

    /// <summary>σ², the estimated variance of the one-step errors.</summary>
    public double Sigma2 { get; }

    /// <summary>Fits the model to <paramref name="series"/> (oldest first).</summary>
    public static DampedHoltWinters Fit(IReadOnlyList<double> series, int period = 7, EtsTrend trend = EtsTrend.Damped)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 2);
        if (series.Count < MinObservations(period))
        {
            throw new ArgumentException($"needs at least {MinObservations(period)} observations, has {series.Count}", nameof(series));
        }
        var y = series as double[] ?? [.. series];
        var (level0, trend0, seasonal0) = InitialStates(y, period, trend);
        var damped = trend == EtsTrend.Damped;
        HoltWintersParameters MapOf(double[] u) => damped ? Map(u) : MapNoTrend(u);
        double Sse(double[] u) => Run(y, period, MapOf(u), level0, trend0, seasonal0).Sse;

        // Starts spread over the region (fpp3-like defaults first); the best of the local minima wins.
        HoltWintersParameters[] starts =
        [
            new(0.3, 0.03, 0.1, 0.95),
            new(0.1, 0.01, 0.05, 0.9),
            new(0.7, 0.1, 0.1, 0.97),
            new(0.5, 0.01, 0.3, 0.85),
        ];
        var best = starts.Select(p => NelderMead.Minimize(Sse, damped ? Unmap(p) : UnmapNoTrend(p))).MinBy(r => r.Value);
        var parameters = MapOf(best.Point);
        var run = Run(y, period, parameters, level0, trend0, seasonal0);
        return new DampedHoltWinters(period, trend, parameters, run.Level, run.Trend, run.Seasonals, run.Sse, y.Length);
    }

    /// <summary>A model with given parameters (no fitting): for tests and for refits that keep the parameters.</summary>
    public static DampedHoltWinters WithParameters(IReadOnlyList<double> series, HoltWintersParameters parameters, int period = 7)
    {
        var y = series as double[] ?? [.. series];
        var (level0, trend0, seasonal0) = InitialStates(y, period, EtsTrend.Damped);
        var run = Run(y, period, parameters, level0, trend0, seasonal0);
        return new DampedHoltWinters(period, EtsTrend.Damped, parameters, run.Level, run.Trend, run.Seasonals, run.Sse, y.Length);
    }

    /// <summary>The point forecasts 1 … <paramref name="horizon"/> steps ahead and their <paramref name="coverage"/> intervals.</summary>
    public ForecastStep[] Forecast(int horizon, double coverage = 0.85)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        if (coverage is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(coverage), "coverage is a share in (0, 1)");
        }
        var z = Normal.InvCDF(0, 1, (1 + coverage) / 2);
        var steps = new ForecastStep[horizon];
        var (alpha, beta, gamma, phi) = (Parameters.Alpha, Parameters.Beta, Parameters.Gamma, Parameters.Phi);
        double phiSum = 0, phiPower = 1, sumC2 = 0;
        for (var h = 1; h <= horizon; h++)
        {
            phiPower *= phi;
            phiSum += phiPower;
            var k = (h - 1) / Period;
            var seasonal = Seasonals[(h - 1 - k * Period) % Period];
            var point = Level + phiSum * Trend + seasonal;
            var halfWidth = z * Math.Sqrt(Sigma2 * (1 + sumC2));
            steps[h - 1] = new ForecastStep(h, point, point - halfWidth, point + halfWidth);
            // c_h enters the variance of step h + 1.
            var c = alpha + beta * phiSum + (h % Period == 0 ? gamma : 0);
            sumC2 += c * c;
        }
        return steps;
    }

    /// <summary>The factor σ_h² / σ² = 1 + Σ_{j=1}^{h−1} c_j² of the h-step forecast error variance.</summary>
    public static double VarianceFactor(HoltWintersParameters p, int period, int h)
    {
        double factor = 1, phiSum = 0, phiPower = 1;
        for (var j = 1; j < h; j++)
        {
            phiPower *= p.Phi;
            phiSum += phiPower;
            var c = p.Alpha + p.Beta * phiSum + (j % period == 0 ? p.Gamma : 0);
            factor += c * c;
        }
        return factor;
    }

    private static (double Level, double Trend, double[] Seasonal) InitialStates(double[] y, int m, EtsTrend kind)
    {
        double first = 0, second = 0;
        for (var i = 0; i < m; i++)
        {
            first += y[i] / m;
            second += y[m + i] / m;
        }
        var trend = kind == EtsTrend.Damped ? (second - first) / m : 0;
        // The line through the first season's mean at its centre, (m − 1) / 2, extended back to t = −1.
        var level = first - trend * ((m - 1) / 2.0 + 1);
        var seasonal = new double[m];
        for (var i = 0; i < m; i++)
        {
            seasonal[i] = y[i] - (level + trend * (i + 1));
        }
        var mean = seasonal.Average();
        for (var i = 0; i < m; i++)
        {
            seasonal[i] -= mean;
        }
        return (level, trend, seasonal);
    }

    private static (double Sse, double Level, double Trend, double[] Seasonals) Run(double[] y, int m, HoltWintersParameters p,
        double level, double trend, double[] seasonal0)
    {
        // ring[t mod m] holds s(t − m) when observation t is reached.
        var ring = (double[])seasonal0.Clone();
        double sse = 0;
        for (var t = 0; t < y.Length; t++)
        {
            var slot = t % m;
            var predicted = level + p.Phi * trend + ring[slot];
            var e = y[t] - predicted;
            sse += e * e;
            level = level + p.Phi * trend + p.Alpha * e;
            trend = p.Phi * trend + p.Beta * e;
            ring[slot] += p.Gamma * e;
        }
        var last = new double[m];
        for (var i = 0; i < m; i++)
        {
            last[i] = ring[(y.Length + i) % m];
        }
        return (sse, level, trend, last);
    }

    private static double Logistic(double u) => 1 / (1 + Math.Exp(-u));

    private static double Logit(double x) => Math.Log(x / (1 - x));

    private static HoltWintersParameters Map(double[] u)
    {
        var alpha = Logistic(u[0]);
        return new HoltWintersParameters(alpha, alpha * Logistic(u[1]), (1 - alpha) * Logistic(u[2]),
            MinPhi + (MaxPhi - MinPhi) * Logistic(u[3]));
    }

    private static HoltWintersParameters MapNoTrend(double[] u)
    {
        var alpha = Logistic(u[0]);
        return new HoltWintersParameters(alpha, 0, (1 - alpha) * Logistic(u[1]), 1);
    }

    private static double[] UnmapNoTrend(HoltWintersParameters p) => [Logit(p.Alpha), Logit(p.Gamma / (1 - p.Alpha))];

    private static double[] Unmap(HoltWintersParameters p)
        => [Logit(p.Alpha), Logit(p.Beta / p.Alpha), Logit(p.Gamma / (1 - p.Alpha)), Logit((p.Phi - MinPhi) / (MaxPhi - MinPhi))];
}
