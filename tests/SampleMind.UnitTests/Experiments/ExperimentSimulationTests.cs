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
