using SampleMind.Analytics.Retention;

namespace SampleMind.UnitTests.Retention;

public sealed class RetentionMathTests
{
    [Fact]
    public void Bucket_IsFixedByCampaignAndUser_AndInZeroToOne()
    {
        var a = RetentionAssignment.Bucket("rc-1", "u1-000001");
        Assert.Equal(a, RetentionAssignment.Bucket("rc-1", "u1-000001"));
        Assert.NotEqual(a, RetentionAssignment.Bucket("rc-2", "u1-000001"));
        Assert.InRange(a, 0.0, 0.9999999999);
    }

    [Fact]
    public void Holdout_TakesItsShare_AndArmsAreIndependentAcrossCampaigns()
    {
        var users = Enumerable.Range(0, 20_000).Select(i => $"u-{i}").ToList();
        var first = users.Select(u => RetentionAssignment.Arm(RetentionAssignment.Bucket("rc-a", u), 0.2m)).ToList();
        var second = users.Select(u => RetentionAssignment.Arm(RetentionAssignment.Bucket("rc-b", u), 0.2m)).ToList();

        // Binomial(20000, 0.2): σ of the share is 0.0028; 4σ bounds.
        var share = first.Count(a => a == RetentionAssignment.Holdout) / 20_000.0;
        Assert.InRange(share, 0.2 - 0.0114, 0.2 + 0.0114);
        // Held out in both ≈ 0.2 × 0.2 when the campaigns are independent (σ 0.0014).
        var both = first.Zip(second).Count(p => p.First == RetentionAssignment.Holdout && p.Second == RetentionAssignment.Holdout) / 20_000.0;
        Assert.InRange(both, 0.04 - 0.0056, 0.04 + 0.0056);
    }

    [Theory]
    [InlineData(0.0, "treatment")]
    [InlineData(0.0999, "holdout")]
    [InlineData(0.1, "treatment")]
    public void Arm_IsHoldout_BelowTheShare(double bucket, string arm)
        => Assert.Equal(arm, RetentionAssignment.Arm(bucket, bucket == 0.0 ? 0m : 0.1m));

    [Fact]
    public void Uplift_IsTheDifferenceOfProportions_WithTheWaldInterval()
    {
        // p_t = 0.6, p_h = 0.4, se = √(0.24/100 + 0.24/100) = 0.0692820…; 1.959964 × se = 0.1357896…
        var estimate = UpliftEstimate.From(100, 60, 100, 40);

        Assert.Equal((0.6, 0.4, 0.2), (estimate.TreatedRate, estimate.HoldoutRate, estimate.Uplift));
        Assert.Equal((0.06421, 0.33579), (Math.Round(estimate.Low!.Value, 5), Math.Round(estimate.High!.Value, 5)));
        Assert.Equal(0.95, estimate.Confidence);
    }

    [Fact]
    public void Uplift_IsUndefined_WhileAnArmIsEmpty()
    {
        var estimate = UpliftEstimate.From(50, 20, 0, 0);
        Assert.Equal((0.4, (double?)null, (double?)null, (double?)null), (estimate.TreatedRate, estimate.HoldoutRate, estimate.Uplift, estimate.Low));
    }

    [Fact]
    public void Uplift_Interval_IsClippedToMinusOneOne()
    {
        var estimate = UpliftEstimate.From(2, 2, 2, 0);
        Assert.Equal((1.0, 1.0), (estimate.Uplift, estimate.High));
    }
}
