using SampleMind.Analytics.Experiments;

namespace SampleMind.UnitTests.Experiments;

/// <summary>
/// The error rates the statistics promise, on simulated people (each exposed person converts with the arm's true
/// rate): thousands of experiments per case, seeded, each looked at after every batch of people as a live dashboard
/// would be.
/// </summary>
public sealed class ExperimentSimulationTests
{
    private const int PerArmPerLook = 200;

    private sealed record class Outcome(bool FixedRejects, bool PeekingRejects, bool SequentialRejects, ProportionComparison Final);

    private static Outcome Run(Random random, double controlRate, double treatmentRate, int looks = 20)
    {
        long nc = 0, xc = 0, nt = 0, xt = 0;
        var sequential = 1.0;
        var peeking = false;
        for (var look = 0; look < looks; look++)
        {
            for (var i = 0; i < PerArmPerLook; i++)
            {
                nc++;
                xc += random.NextDouble() < controlRate ? 1 : 0;
                nt++;
                xt += random.NextDouble() < treatmentRate ? 1 : 0;
            }
            sequential = ExperimentStatistics.NextSequentialPValue(sequential, ExperimentStatistics.MixtureLikelihoodRatio(nc, xc, nt, xt));
            peeking |= ExperimentStatistics.CompareProportions(nc, xc, nt, xt) is { PValue: < 0.05 };
        }
        var final = ExperimentStatistics.CompareProportions(nc, xc, nt, xt)!.Value;
        return new Outcome(final.PValue < 0.05, peeking, sequential < 0.05, final);
    }

    [Fact]
    public void AATests_FixedHorizonRejectsAbout5Percent_SequentialStaysBelow5PercentUnderPeeking()
    {
        var random = new Random(20261206);
        var outcomes = Enumerable.Range(0, 4_000).Select(_ => Run(random, 0.10, 0.10)).ToArray();
        var fixedRate = outcomes.Average(o => o.FixedRejects ? 1.0 : 0.0);
        var peekingRate = outcomes.Average(o => o.PeekingRejects ? 1.0 : 0.0);
        var sequentialRate = outcomes.Average(o => o.SequentialRejects ? 1.0 : 0.0);
        TestContext.Current.TestOutputHelper?.WriteLine($"A/A over 4,000 experiments: fixed {fixedRate:P2}, z-test peeked 20× {peekingRate:P2}, sequential peeked 20× {sequentialRate:P2}");

        // 4,000 experiments: the binomial standard error at 5 % is 0.34 points; ±3 of them.
        Assert.InRange(fixedRate, 0.04, 0.06);
        Assert.True(peekingRate > 0.10, $"peeking at the z-test should inflate false positives well past 5 %, got {peekingRate:P2}");
        Assert.True(sequentialRate <= 0.05, $"sequential false-positive rate {sequentialRate:P2}");
    }

    [Fact]
    public void AKnownLift_IsDetectedSequentially_AndTheIntervalCoversTheTruth()
    {
        var random = new Random(18);
        var outcomes = Enumerable.Range(0, 1_000).Select(_ => Run(random, 0.10, 0.12, looks: 40)).ToArray();
        var power = outcomes.Average(o => o.SequentialRejects ? 1.0 : 0.0);
        var coverage = outcomes.Average(o => o.Final.CiLow <= 0.02 && 0.02 <= o.Final.CiHigh ? 1.0 : 0.0);
        TestContext.Current.TestOutputHelper?.WriteLine($"lift 10 % → 12 %, 8,000 per arm, 40 looks: sequential power {power:P1}, 95 % interval coverage {coverage:P1}");

        Assert.True(power >= 0.80, $"sequential power {power:P1}");
        Assert.InRange(coverage, 0.93, 0.97); // 1,000 experiments: ±3 standard errors around 95 %
    }
}

/// <summary>
/// A three-price test on simulated people with a known demand curve: conversion r(p) = 0.30 · (p / 29.99)^ε with the
/// constant elasticity ε = −2.5, so the true arc elasticity between two tested prices is known exactly.
/// </summary>
public sealed class PriceElasticitySimulationTests
{
    private const double Epsilon = -2.5;
    private static readonly decimal[] Prices = [29.99m, 34.99m, 39.99m];

    private static double Rate(decimal price) => 0.30 * Math.Pow((double)price / 29.99, Epsilon);

    private static double TrueArc(decimal p1, decimal p2)
    {
        double r1 = Rate(p1), r2 = Rate(p2);
        return (r2 - r1) / ((r1 + r2) / 2) / ((double)(p2 - p1) / (double)((p1 + p2) / 2));
    }

    [Fact]
    public void TheSimulatedElasticity_IsRecoveredInsideTheInterval_AndTheIntervalCoversAbout95Percent()
    {
        var random = new Random(2026);
        const int experiments = 1_000, perArm = 3_000;
        var covered = new int[2];
        (double Elasticity, double CiLow, double CiHigh)? first = null;
        for (var k = 0; k < experiments; k++)
        {
            var conversions = Prices.Select(p => (long)Enumerable.Range(0, perArm).Count(_ => random.NextDouble() < Rate(p))).ToArray();
            for (var i = 1; i < Prices.Length; i++)
            {
                var e = PriceElasticityMath.Arc(Prices[i - 1], perArm, conversions[i - 1], Prices[i], perArm, conversions[i])!.Value;
                first ??= e;
                covered[i - 1] += e.CiLow <= TrueArc(Prices[i - 1], Prices[i]) && TrueArc(Prices[i - 1], Prices[i]) <= e.CiHigh ? 1 : 0;
            }
        }
        var truth = TrueArc(Prices[0], Prices[1]);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"true arc elasticity {truth:0.000}; first experiment {first!.Value.Elasticity:0.000} [{first.Value.CiLow:0.000}, {first.Value.CiHigh:0.000}]; coverage {covered[0] / (double)experiments:P1}, {covered[1] / (double)experiments:P1}");
        Assert.InRange(truth, first!.Value.CiLow, first.Value.CiHigh);
        Assert.All(covered, c => Assert.InRange(c / (double)experiments, 0.93, 0.97));
    }

    [Fact]
    public void ArcElasticity_MatchesTheFormulaByHand()
    {
        // 300 of 1,000 convert at $29.99, 210 of 1,000 at $34.99.
        var e = PriceElasticityMath.Arc(29.99m, 1_000, 300, 34.99m, 1_000, 210)!.Value;
        const double r1 = 0.3, r2 = 0.21, p1 = 29.99, p2 = 34.99;
        var expected = (r2 - r1) / ((r1 + r2) / 2) / ((p2 - p1) / ((p1 + p2) / 2));
        var k = (p1 + p2) / (p2 - p1);
        var d1 = -2 * r2 / ((r1 + r2) * (r1 + r2)) * k;
        var d2 = 2 * r1 / ((r1 + r2) * (r1 + r2)) * k;
        var se = Math.Sqrt(d1 * d1 * r1 * (1 - r1) / 1_000 + d2 * d2 * r2 * (1 - r2) / 1_000);
        Assert.Equal(expected, e.Elasticity, 1e-9);
        Assert.Equal(expected - 1.959963984540054 * se, e.CiLow, 1e-9);
        Assert.Equal(expected + 1.959963984540054 * se, e.CiHigh, 1e-9);
        Assert.Null(PriceElasticityMath.Arc(29.99m, 10, 0, 34.99m, 10, 0));
    }
}
