using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.FunnelMetrics;

public sealed class DurationHistogramTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Boundaries_AreLogScale_FromOneSecondToYears()
    {
        var b = DurationHistogram.BoundariesMs;
        Assert.Equal(1000, b[0]);
        Assert.Equal(2000, b[4]);
        Assert.Equal(1189, b[1]);
        Assert.True(b.Zip(b.Skip(1)).All(p => p.First < p.Second));
        Assert.True(b[^1] > 365L * 24 * 3600 * 1000 * 4);
    }

    [Theory]
    [InlineData(-5_000, 0)]
    [InlineData(0, 0)]
    [InlineData(999, 0)]
    [InlineData(1_000, 1)]
    [InlineData(1_188, 1)]
    [InlineData(1_189, 2)]
    [InlineData(2_000, 5)]
    public void BucketOf_CountsTheBoundariesAtOrBelow(long ms, int bucket)
        => Assert.Equal(bucket, DurationHistogram.BucketOf(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void BucketOf_ALongDuration_IsTheOpenLastBucket()
        => Assert.Equal(DurationHistogram.BucketCount - 1, DurationHistogram.BucketOf(TimeSpan.FromDays(365 * 10)));

    [Fact]
    public void Median_IsTheUpperBoundOfTheBucketHoldingTheLowerMedian()
    {
        var counts = new long[DurationHistogram.BucketCount];
        counts[1] = 2; // [1 s, 1.189 s)
        counts[5] = 2; // [2 s, 2.378 s)
        Assert.Equal(1, DurationHistogram.MedianBucket(counts)); // n = 4: the 2nd smallest
        Assert.Equal(1.189, DurationHistogram.MedianSeconds(counts));

        counts[5] = 3; // n = 5: the 3rd smallest
        Assert.Equal(5, DurationHistogram.MedianBucket(counts));
        Assert.Equal(2.378, DurationHistogram.MedianSeconds(counts));
    }

    [Fact]
    public void Median_OfEmptyHistogram_IsNull_AndOfTheOpenBucket_ItsLowerBound()
    {
        var counts = new long[DurationHistogram.BucketCount];
        Assert.Null(DurationHistogram.MedianSeconds(counts));
        counts[^1] = 1;
        Assert.Equal(DurationHistogram.BoundariesMs[^1] / 1000.0, DurationHistogram.MedianSeconds(counts));
    }

    [Fact]
    public void Histograms_Merge_ByAddingCounts()
    {
        var a = new FunnelFigures(3);
        a.StepUsers[0] = 2;
        a.Durations[0][4] = 1;
        var b = new FunnelFigures(3);
        b.StepUsers[0] = 1;
        b.Durations[0][4] = 2;
        a.Add(b);
        Assert.Equal(3, a.StepUsers[0]);
        Assert.Equal(3, a.Durations[0][4]);
        a.Add(b, -1);
        Assert.Equal(1, a.Durations[0][4]);
    }

    [Fact]
    public void UserShare_ReachesConsecutiveSteps_AndBucketsTheTimeBetweenThem()
    {
        var events = new EventBuilder("f1");
        var model = new UserModel { UserId = "f1" };
        foreach (var e in new[]
        {
            events.Track("signup_started", Now),
            events.Track("email_verified", Now.AddSeconds(2)),
            events.Track("analysis_completed", Now.AddHours(1)), // first_analysis without first_upload: not reached
            events.Track("session_started", Now.AddMinutes(1)),
        })
        {
            model.Apply(EventFacts.Parse(e));
        }
        var before = FunnelPosition.Of(model, Funnels.Activation);
        var activation = FunnelFigures.Of(model, Funnels.Activation);

        Assert.Equal(2, before.Reached);
        Assert.Equal([1L, 1, 0, 0, 0], activation.StepUsers);
        Assert.Equal(1, activation.Durations[0][DurationHistogram.BucketOf(TimeSpan.FromSeconds(2))]);
        Assert.Equal(1, activation.Durations.Sum(h => h.Sum()));
        Assert.Equal([1L, 0, 0, 0, 0], FunnelFigures.Of(model, Funnels.Monetization).StepUsers);
        var monetization = FunnelPosition.Of(model, Funnels.Monetization);

        model.Apply(EventFacts.Parse(events.Track("sample_uploaded", Now.AddMinutes(30))));
        model.Apply(EventFacts.Parse(events.Track("session_started", Now.AddDays(1))));
        var after = FunnelPosition.Of(model, Funnels.Activation);
        var delta = FunnelFigures.Delta(before, after);

        Assert.Equal(monetization, FunnelPosition.Of(model, Funnels.Monetization)); // no monetization step: no change to report
        Assert.NotEqual(before, after);
        Assert.Equal([0L, 0, 1, 1, 1], delta.StepUsers);
        Assert.Equal(1, delta.Durations[3][DurationHistogram.BucketOf(TimeSpan.FromHours(23))]);
        Assert.Equal(3, delta.Durations.Sum(h => h.Sum()));
    }

    [Fact]
    public void FunnelPosition_KeepsEveryBucket_OfEveryStep()
    {
        // Each step a different, growing gap, up to the last bucket: the packed position gives each one back.
        var model = new UserModel { UserId = "f2" };
        var steps = Funnels.ActivationSteps;
        var gaps = new[] { TimeSpan.Zero, TimeSpan.FromSeconds(1.5), TimeSpan.FromDays(3), TimeSpan.FromDays(400), TimeSpan.FromDays(2_000) };
        var times = gaps.Select((_, k) => Now + gaps.Take(k + 1).Aggregate(TimeSpan.Zero, (sum, gap) => sum + gap)).ToArray();
        var events = new EventBuilder("f2");
        // The events that reach each step (the second session is the second session_started; the first opens with the signup).
        foreach (var json in new[]
        {
            events.Track("session_started", times[0]),
            events.Track("signup_started", times[0]),
            events.Track("email_verified", times[1]),
            events.Track("sample_uploaded", times[2]),
            events.Track("analysis_completed", times[3]),
            events.Track("session_started", times[4]),
        })
        {
            model.Apply(EventBuilder.Facts(json));
        }
        Assert.Equal(times, Enumerable.Range(0, steps.Count).Select(k => model.FunnelStepAt(Funnels.Activation, k)!.Value));

        var position = FunnelPosition.Of(model, Funnels.Activation);
        var share = FunnelFigures.Of(model, Funnels.Activation);

        Assert.Equal(steps.Count, position.Reached);
        Assert.Equal(DurationHistogram.BucketCount - 1, DurationHistogram.BucketOf(gaps[^1]));
        for (var k = 1; k < steps.Count; k++)
        {
            Assert.Equal(DurationHistogram.BucketOf(gaps[k]), position.BucketOf(k));
            Assert.Equal(1, share.Durations[k - 1][DurationHistogram.BucketOf(gaps[k])]);
        }
        Assert.Equal(share.StepUsers, FunnelFigures.Delta(FunnelPosition.Of(new UserModel { UserId = "f3" }, Funnels.Activation), position).StepUsers);
    }
}
