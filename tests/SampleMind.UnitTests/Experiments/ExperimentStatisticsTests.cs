using SampleMind.Analytics.Experiments;

namespace SampleMind.UnitTests.Experiments;

/// <summary>
/// Each statistic against a value worked out here by hand: the formulas written out again, and the distributions'
/// tails computed without Math.NET (a power series for erf, a numerical integral for Student's t, the closed forms of
/// chi-square with 1 and 2 degrees of freedom).
/// </summary>
public sealed class ExperimentStatisticsTests
{
    private const double Tolerance = 1e-9;

    /// <summary>erfc by the Maclaurin series of erf (exact enough for |x| ≤ 4).</summary>
    private static double Erfc(double x)
    {
        double sum = 0, term = x;
        for (var n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 1 - 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static double NormalTwoSided(double z) => Erfc(Math.Abs(z) / Math.Sqrt(2));

    /// <summary>
    /// Student's t two-sided tail for any real ν: with t = √ν·tan θ the density is ∝ cos^(ν−1) θ on (−π/2, π/2), so the
    /// central mass is the ratio of two integrals of cos^(ν−1), taken by Simpson's rule.
    /// </summary>
    private static double StudentTwoSided(double t, double nu)
    {
        static double Integral(double to, double nu)
        {
            const int n = 200_000;
            var h = to / n;
            var sum = 1.0 + Math.Pow(Math.Cos(to), nu - 1);
            for (var i = 1; i < n; i++)
            {
                sum += (i % 2 == 1 ? 4 : 2) * Math.Pow(Math.Cos(i * h), nu - 1);
            }
            return sum * h / 3;
        }
        return 1 - Integral(Math.Atan(Math.Abs(t) / Math.Sqrt(nu)), nu) / Integral(Math.PI / 2, nu);
    }

    [Fact]
    public void TwoProportionZ_MatchesTheFormulaByHand()
    {
        // Control 100 of 1,000 convert; treatment 125 of 1,000.
        var result = ExperimentStatistics.CompareProportions(1_000, 100, 1_000, 125)!.Value;

        const double pc = 0.1, pt = 0.125, pooled = 225.0 / 2_000;
        var z = (pt - pc) / Math.Sqrt(pooled * (1 - pooled) * (2.0 / 1_000));
        var se = Math.Sqrt(pc * (1 - pc) / 1_000 + pt * (1 - pt) / 1_000);
        const double z975 = 1.959963984540054; // Φ⁻¹(0.975), a table value
        Assert.Equal(0.025, result.Diff, Tolerance);
        Assert.Equal(z, result.Z, Tolerance);
        Assert.Equal(NormalTwoSided(z), result.PValue, Tolerance);
        Assert.Equal(0.025 - z975 * se, result.CiLow, Tolerance);
        Assert.Equal(0.025 + z975 * se, result.CiHigh, Tolerance);
    }

    [Fact]
    public void TwoProportionZ_IsNull_WithoutPeopleOrVariance()
    {
        Assert.Null(ExperimentStatistics.CompareProportions(0, 0, 10, 1));
        Assert.Null(ExperimentStatistics.CompareProportions(10, 0, 10, 0));
        Assert.Null(ExperimentStatistics.CompareProportions(10, 10, 10, 10));
    }

    [Fact]
    public void Welch_MatchesTheFormulaAndANumericalTTail()
    {
        // Revenue per visitor: control values and treatment values, given as raw samples.
        double[] control = [0, 0, 29.99, 0, 59.98, 0, 29.99, 0, 0, 0, 29.99, 0];
        double[] treatment = [34.99, 0, 69.98, 34.99, 0, 34.99, 0, 104.97, 0];
        var result = ExperimentStatistics.CompareMeans(control.Length, control.Sum(), control.Sum(x => x * x),
            treatment.Length, treatment.Sum(), treatment.Sum(x => x * x))!.Value;

        double Mean(double[] xs) => xs.Sum() / xs.Length;
        double Var(double[] xs) => xs.Sum(x => (x - Mean(xs)) * (x - Mean(xs))) / (xs.Length - 1);
        double ac = Var(control) / control.Length, at = Var(treatment) / treatment.Length;
        var t = (Mean(treatment) - Mean(control)) / Math.Sqrt(ac + at);
        var df = (ac + at) * (ac + at) / (ac * ac / (control.Length - 1) + at * at / (treatment.Length - 1));

        Assert.Equal(Mean(treatment) - Mean(control), result.Diff, Tolerance);
        Assert.Equal(t, result.T, Tolerance);
        Assert.Equal(df, result.DegreesOfFreedom, Tolerance);
        Assert.Equal(StudentTwoSided(t, df), result.PValue, Tolerance);
        // The interval's half-width is the t quantile with 2.5 % in each tail.
        var critical = (result.CiHigh - result.CiLow) / 2 / Math.Sqrt(ac + at);
        Assert.Equal(0.05, StudentTwoSided(critical, df), Tolerance);
    }

    [Fact]
    public void SampleRatio_MatchesTheChiSquareClosedForms()
    {
        // Two arms (1 degree of freedom): p = erfc(√(χ²/2)).
        var chi1 = Math.Pow(5_100 - 5_000, 2) / 5_000 * 2;
        Assert.Equal(Erfc(Math.Sqrt(chi1 / 2)), ExperimentStatistics.SampleRatioPValue([5_100, 4_900], [1, 1])!.Value, Tolerance);

        // Three arms weighted 1:1:2 (2 degrees of freedom): p = exp(−χ²/2).
        long[] observed = [2_600, 2_450, 4_950];
        double[] expected = [2_500, 2_500, 5_000];
        var chi2 = observed.Select((o, i) => (o - expected[i]) * (o - expected[i]) / expected[i]).Sum();
        Assert.Equal(Math.Exp(-chi2 / 2), ExperimentStatistics.SampleRatioPValue(observed, [1, 1, 2])!.Value, Tolerance);
    }

    [Fact]
    public void MixtureLikelihoodRatio_MatchesTheFormulaByHand_AndWaitsForEnoughPeople()
    {
        const double pc = 480.0 / 4_000, pt = 560.0 / 4_000, tau2 = 0.02 * 0.02;
        var v = pc * (1 - pc) / 4_000 + pt * (1 - pt) / 4_000;
        var expected = Math.Sqrt(v / (v + tau2)) * Math.Exp(tau2 * (pt - pc) * (pt - pc) / (2 * v * (v + tau2)));
        var lambda = ExperimentStatistics.MixtureLikelihoodRatio(4_000, 480, 4_000, 560);
        Assert.Equal(expected, lambda, Tolerance);
        Assert.Equal(1 / expected, ExperimentStatistics.NextSequentialPValue(1, lambda), Tolerance);
        Assert.Equal(0.01, ExperimentStatistics.NextSequentialPValue(0.01, lambda), Tolerance); // the running minimum never rises
        Assert.Equal(1, ExperimentStatistics.MixtureLikelihoodRatio(99, 10, 4_000, 560));
    }
}
