using MathNet.Numerics.Distributions;

namespace SampleMind.Analytics.Experiments;

/// <summary>A treatment's conversion rate against the control's: difference, 95 % interval, z and two-sided p.</summary>
public readonly record struct ProportionComparison(double Diff, double CiLow, double CiHigh, double Z, double PValue);

/// <summary>A treatment's mean against the control's (Welch): difference, 95 % interval, t, degrees of freedom, two-sided p.</summary>
public readonly record struct MeanComparison(double Diff, double CiLow, double CiHigh, double T, double DegreesOfFreedom, double PValue);

/// <summary>
/// The statistics of an experiment (README "Experiments"). Fixed-horizon tests: the two-proportion z-test (pooled
/// standard error for z, unpooled for the interval), Welch's t-test, the chi-square sample-ratio check. And the
/// always-valid p-value of the mixture sequential probability ratio test (mSPRT; Johari, Pekelis &amp; Walsh, "Always
/// Valid Inference", 2017) for the difference of two conversion rates under the normal approximation: with
/// θ̂ = p̂ₜ − p̂꜀ and V = p̂ₜ(1−p̂ₜ)/nₜ + p̂꜀(1−p̂꜀)/n꜀, the mixture likelihood ratio against θ = 0 with a N(0, τ²) mixing
/// distribution is Λ = √(V/(V+τ²)) · exp(τ²θ̂² / (2V(V+τ²))); the p-value after a look is the smallest 1/Λ seen so far.
/// </summary>
public static class ExperimentStatistics
{
    /// <summary>The mixing distribution's standard deviation τ: the size of effect (in conversion-rate points) the test is tuned to.</summary>
    public const double DefaultMixingSd = 0.02;

    /// <summary>Each arm needs this many exposed people before a look counts (the normal approximation is poor below).</summary>
    public const long MinimumPerArm = 100;

    /// <summary>Below this the sample ratio is flagged as mismatched.</summary>
    public const double SampleRatioAlarm = 0.001;

    private static readonly double Z975 = Normal.InvCDF(0, 1, 0.975);

    /// <summary>The two-proportion z-test; null when either arm is empty or no variance is left (every rate 0 or 1).</summary>
    public static ProportionComparison? CompareProportions(long controlN, long controlX, long treatmentN, long treatmentX)
    {
        if (controlN <= 0 || treatmentN <= 0)
        {
            return null;
        }
        double pc = (double)controlX / controlN, pt = (double)treatmentX / treatmentN;
        var pooled = (double)(controlX + treatmentX) / (controlN + treatmentN);
        var pooledSe = Math.Sqrt(pooled * (1 - pooled) * (1.0 / controlN + 1.0 / treatmentN));
        var se = Math.Sqrt(pc * (1 - pc) / controlN + pt * (1 - pt) / treatmentN);
        if (pooledSe == 0)
        {
            return null;
        }
        var diff = pt - pc;
        var z = diff / pooledSe;
        return new ProportionComparison(diff, diff - Z975 * se, diff + Z975 * se, z, 2 * Normal.CDF(0, 1, -Math.Abs(z)));
    }

    /// <summary>Welch's t-test from each arm's count, sum and sum of squares; null with fewer than 2 per arm or no variance.</summary>
    public static MeanComparison? CompareMeans(long controlN, double controlSum, double controlSquares, long treatmentN, double treatmentSum, double treatmentSquares)
    {
        if (controlN < 2 || treatmentN < 2)
        {
            return null;
        }
        var (mc, vc) = MeanAndVariance(controlN, controlSum, controlSquares);
        var (mt, vt) = MeanAndVariance(treatmentN, treatmentSum, treatmentSquares);
        double ac = vc / controlN, at = vt / treatmentN;
        var se2 = ac + at;
        if (se2 <= 0)
        {
            return null;
        }
        var se = Math.Sqrt(se2);
        var diff = mt - mc;
        var t = diff / se;
        var df = se2 * se2 / (ac * ac / (controlN - 1) + at * at / (treatmentN - 1));
        var critical = StudentT.InvCDF(0, 1, df, 0.975);
        return new MeanComparison(diff, diff - critical * se, diff + critical * se, t, df, 2 * StudentT.CDF(0, 1, df, -Math.Abs(t)));
    }

    /// <summary>The sample mean and the sample variance (n − 1) from a count, a sum and a sum of squares.</summary>
    public static (double Mean, double Variance) MeanAndVariance(long n, double sum, double squares)
    {
        var mean = sum / n;
        return (mean, Math.Max(0, (squares - sum * mean) / (n - 1)));
    }

    /// <summary>The chi-square goodness-of-fit p-value of the exposed counts against the configured weights (k − 1 degrees of freedom); null with nobody exposed.</summary>
    public static double? SampleRatioPValue(IReadOnlyList<long> exposed, IReadOnlyList<double> weights)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(exposed.Count, weights.Count);
        var n = exposed.Sum();
        if (n == 0 || exposed.Count < 2)
        {
            return null;
        }
        var totalWeight = weights.Sum();
        var chi2 = 0.0;
        for (var i = 0; i < exposed.Count; i++)
        {
            var expected = n * weights[i] / totalWeight;
            chi2 += (exposed[i] - expected) * (exposed[i] - expected) / expected;
        }
        return 1 - ChiSquared.CDF(exposed.Count - 1, chi2);
    }

    /// <summary>
    /// The mSPRT mixture likelihood ratio Λ of a treatment against the control at one look (see the class remarks); 1
    /// (no evidence) until each arm has <see cref="MinimumPerArm"/> people and some variance.
    /// </summary>
    public static double MixtureLikelihoodRatio(long controlN, long controlX, long treatmentN, long treatmentX, double mixingSd = DefaultMixingSd)
    {
        if (controlN < MinimumPerArm || treatmentN < MinimumPerArm)
        {
            return 1;
        }
        double pc = (double)controlX / controlN, pt = (double)treatmentX / treatmentN;
        var v = pc * (1 - pc) / controlN + pt * (1 - pt) / treatmentN;
        if (v <= 0)
        {
            return 1;
        }
        var tau2 = mixingSd * mixingSd;
        var theta = pt - pc;
        return Math.Sqrt(v / (v + tau2)) * Math.Exp(tau2 * theta * theta / (2 * v * (v + tau2)));
    }

    /// <summary>The always-valid p-value after one more look: the smaller of the previous one and 1/Λ (never above 1).</summary>
    public static double NextSequentialPValue(double previous, double likelihoodRatio)
        => Math.Min(Math.Min(previous, 1.0), 1.0 / likelihoodRatio);
}

/// <summary>Price elasticity of conversion from a pricing test.</summary>
public static class PriceElasticityMath
{
    private static readonly double Z975 = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.975);

    /// <summary>
    /// The arc (midpoint) elasticity between two price points: (Δr / mean r) / (Δp / mean p) for conversion rates r at
    /// prices p, with a 95 % interval by the delta method (Var r = r(1−r)/n per arm). Null when both rates are 0 or the
    /// prices are equal.
    /// </summary>
    public static (double Elasticity, double CiLow, double CiHigh)? Arc(decimal price1, long n1, long x1, decimal price2, long n2, long x2)
    {
        if (n1 <= 0 || n2 <= 0 || price1 == price2)
        {
            return null;
        }
        double r1 = (double)x1 / n1, r2 = (double)x2 / n2, p1 = (double)price1, p2 = (double)price2;
        var sum = r1 + r2;
        if (sum == 0)
        {
            return null;
        }
        var priceFactor = (p1 + p2) / (p2 - p1);
        var elasticity = (r2 - r1) / sum * priceFactor;
        var d1 = -2 * r2 / (sum * sum) * priceFactor;
        var d2 = 2 * r1 / (sum * sum) * priceFactor;
        var se = Math.Sqrt(d1 * d1 * r1 * (1 - r1) / n1 + d2 * d2 * r2 * (1 - r2) / n2);
        return (elasticity, elasticity - Z975 * se, elasticity + Z975 * se);
    }
}
