using SampleMind.Analytics.ModelVersions;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.ModelVersions;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Boundaries_Rise_ByFivePercent_FromOneMillisecondToTenMinutes()
    {
        var b = LatencyHistogram.Boundaries;
        Assert.Equal(1m, b[0]);
        Assert.Equal(1.05m, b[1]);
        Assert.True(b[^1] >= 600_000m && b[^2] < 600_000m);
        for (var i = 1; i < b.Count; i++)
        {
            Assert.InRange(b[i] / b[i - 1], 1.0499m, 1.0501m);
        }
    }

    [Theory]
    [InlineData(-3, 0)]
    [InlineData(0.5, 0)]
    [InlineData(1, 1)]
    [InlineData(1.04, 1)]
    [InlineData(1.05, 2)]
    [InlineData(1.1025, 3)]
    public void BucketOf_CountsTheBoundariesAtOrBelowTheValue_AsWidthBucket(double valueMs, int bucket)
        => Assert.Equal(bucket, LatencyHistogram.BucketOf((decimal)valueMs));

    [Fact]
    public void BucketOf_PutsValuesBeyondTheLastBoundary_InTheOverflowBucket()
        => Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.BucketOf(3_600_000m));

    [Fact]
    public void P99_IsTheUpperBoundOfTheBucketHoldingTheNearestRank()
    {
        // 100 values: 98 at 10 ms, 2 at 1000 ms. Rank ⌈0.99 × 100⌉ = 99 falls on the first 1000 ms value.
        var buckets = Histogram([.. Enumerable.Repeat(10m, 98), 1000m, 1000m]);
        var bucket = LatencyHistogram.BucketOf(1000m);
        var upper = LatencyHistogram.UpperBound(bucket)!.Value;
        Assert.True(upper > 1000m && upper <= 1050m);
        Assert.Equal(upper, LatencyHistogram.Percentile(buckets, maxObservedMs: 2000m, 99));

        // 99 values at 10 ms: rank 99 is still in the 10 ms bucket.
        var low = Histogram([.. Enumerable.Repeat(10m, 99), 1000m]);
        Assert.Equal(LatencyHistogram.UpperBound(LatencyHistogram.BucketOf(10m)), LatencyHistogram.Percentile(low, 1000m, 99));
    }

    [Fact]
    public void P99_IsCappedAtTheLargestObservedValue()
    {
        var buckets = Histogram([5m, 1000m]);
        Assert.Equal(1000m, LatencyHistogram.Percentile(buckets, 1000m, 99));
        Assert.Equal(900_000m, LatencyHistogram.Percentile(Histogram([900_000m]), 900_000m, 99));
        Assert.Null(LatencyHistogram.Percentile(new Dictionary<int, long>(), 0m, 99));
    }

    [Fact]
    public void Merge_OfParts_EqualsTheHistogramOfTheWhole()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 5000).Select(_ => Math.Round((decimal)Math.Exp(random.NextDouble() * 14 - 2), 3)).ToArray();
        var merged = new Dictionary<int, long>();
        foreach (var part in values.Chunk(333))
        {
            LatencyHistogram.Merge(merged, Histogram(part));
        }
        Assert.Equal(Histogram(values).OrderBy(p => p.Key), merged.OrderBy(p => p.Key));
        Assert.Equal(5000, merged.Values.Sum());

        // Subtracting a part (a negative delta) leaves no empty buckets behind.
        var negative = Histogram(values).ToDictionary(p => p.Key, p => -p.Value);
        LatencyHistogram.Merge(merged, negative);
        Assert.Empty(merged);
    }

    [Fact]
    public void Figures_CountOnlyEventsNamingModelAndVersion_AndFeedbackWithCorrect()
    {
        var at = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var events = new EventBuilder("u1");
        var figures = ModelVersionFigures.Of([.. new[]
        {
            events.Track("analysis_completed", at, new { model = "m", model_version = "1", processing_time_ms = 100, error = true, cost_usd = 0.02 }),
            events.Track("analysis_completed", at.AddSeconds(10), new { model = "m", model_version = "1", processing_time_ms = "300", cost_usd = 0.04 }),
            events.Track("analysis_completed", at.AddSeconds(20), new { model = "m", model_version = "1" }),
            events.Track("analysis_completed", at, new { model = "m", processing_time_ms = 5 }),
            events.Track("analysis_feedback", at, new { model = "m", model_version = "1", correct = true }),
            events.Track("analysis_feedback", at, new { model = "m", model_version = "1", correct = false }),
            events.Track("analysis_feedback", at, new { model = "m", model_version = "1", rating = 5 }),
        }.Select(EventFacts.Parse)]);

        var f = Assert.Single(figures);
        Assert.Equal("m@1", f.Key);
        var v = ModelVersionValues.From(f.Value);
        Assert.Equal(3, v.Requests);
        Assert.Equal(200m, v.AvgLatencyMs);
        Assert.Equal(300m, v.P99LatencyMs); // the bucket's upper bound is above 300, the largest observed value
        Assert.Equal(0.15m, v.RequestsPerSecond); // 3 requests over 20 s
        Assert.Equal(0.333333m, v.ErrorRate);
        Assert.Equal(2, v.Feedback);
        Assert.Equal(0.5m, v.FeedbackAccuracy);
        Assert.Equal(0.02m, v.CostPerRequestUsd);
    }

    private static Dictionary<int, long> Histogram(IEnumerable<decimal> values)
        => values.GroupBy(LatencyHistogram.BucketOf).ToDictionary(g => g.Key, g => (long)g.Count());
}
