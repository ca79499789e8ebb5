using SampleMind.Analytics.Churn;

namespace SampleMind.UnitTests.Churn;

public sealed class BinaryMetricsTests
{
    [Fact]
    public void Metrics_FollowTheirDefinitions()
    {
        var m = BinaryMetrics.Compute([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);

        Assert.Equal(0.75, m.Auc);          // 3 of the 4 (positive, negative) pairs ranked right
        Assert.Equal(0.8333, m.PrAuc);      // precision 1/1 at 0.8, 2/3 at 0.35
        Assert.Equal(0.4723, m.LogLoss);    // −(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8) / 4
        Assert.Equal(
            [(1, 1, 0.1, 0.0), (2, 1, 0.35, 1.0), (3, 1, 0.4, 0.0), (4, 1, 0.8, 1.0)],
            m.Calibration.Select(b => (b.Decile, b.Count, b.MeanPredicted, b.ObservedRate)));
    }

    [Fact]
    public void TiedScores_CountHalf_AndDecilesSplitEvenly()
    {
        Assert.Equal(0.5, BinaryMetrics.Compute([0.5, 0.5], [true, false]).Auc);

        var probabilities = Enumerable.Range(0, 25).Select(i => i / 25.0).ToArray();
        var m = BinaryMetrics.Compute(probabilities, probabilities.Select(p => p >= 0.6).ToArray());

        Assert.Equal(1.0, m.Auc);
        Assert.Equal([3, 3, 3, 3, 3, 2, 2, 2, 2, 2], m.Calibration.Select(b => b.Count));
        Assert.Equal([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], m.Calibration.Select(b => b.ObservedRate));
    }
}
