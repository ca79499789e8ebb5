using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Kpis;

public sealed class SeedMetricsTests
{
    private static readonly DateTimeOffset Signup = new(2026, 6, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.5, 20L)] // rank ⌈0.5 × 4⌉ = 2
    [InlineData(0.9, 40L)] // rank ⌈3.6⌉ = 4
    [InlineData(0.25, 10L)] // rank 1
    [InlineData(0.26, 20L)] // rank ⌈1.04⌉ = 2
    public void Percentile_IsTheNearestRank_AsPercentileDisc(double fraction, long expected)
    {
        var histogram = new SortedDictionary<long, int> { [10] = 1, [20] = 1, [30] = 1, [40] = 1 };
        Assert.Equal(expected, TimeToFirstValue.Percentile(histogram, fraction));
    }

    [Fact]
    public void Percentile_CountsPeoplePerValue_AndIsNullWithoutPeople()
    {
        // 3 people at 5 s, 1 at 600 s: median rank 2 → 5; p90 rank 4 → 600.
        var histogram = new SortedDictionary<long, int> { [5] = 3, [600] = 1 };
        Assert.Equal(5, TimeToFirstValue.Percentile(histogram, 0.5));
        Assert.Equal(600, TimeToFirstValue.Percentile(histogram, 0.9));
        Assert.Null(TimeToFirstValue.Percentile([], 0.5));
    }

    [Fact]
    public void Ttfv_IsWholeSecondsFromSignupToTheEarliestAnalysis_ZeroWhenItCameFirst()
    {
        var events = new EventBuilder("t1");
        var model = new UserModel { UserId = "t1" };
        Assert.Null(TimeToFirstValue.SecondsOf(model));
        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Signup.AddSeconds(301.9))));
        Assert.Null(TimeToFirstValue.SecondsOf(model)); // no signup yet
        model.Apply(EventBuilder.Facts(events.Track("signup_started", Signup)));
        Assert.Equal(301, TimeToFirstValue.SecondsOf(model));
        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Signup.AddSeconds(59.5))));
        Assert.Equal(59, TimeToFirstValue.SecondsOf(model));
        model.Apply(EventBuilder.Facts(events.Track("analysis_completed", Signup.AddMinutes(-2))));
        Assert.Equal(0, TimeToFirstValue.SecondsOf(model));
    }

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("5", 5.0)]
    [InlineData("4.5", 4.5)]
    [InlineData("\"3\"", 3.0)]
    [InlineData("0.99", null)]
    [InlineData("5.01", null)]
    [InlineData("\"great\"", null)]
    [InlineData("null", null)]
    public void Rating_CountsNumbersFromOneToFive(string rating, double? expected)
    {
        var json = $$$"""{"type":"track","event":"analysis_feedback","messageId":"r1","userId":"q1","timestamp":"2026-06-01T09:00:00.000Z","properties":{"rating":{{{rating}}}}}""";
        Assert.Equal(expected is { } e ? (decimal)e : null, QualityScore.RatingOf(EventBuilder.Facts(json)));
    }
}
