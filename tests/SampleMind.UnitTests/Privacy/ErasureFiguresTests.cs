using SampleMind.Analytics.Alerts;
using SampleMind.Analytics.ModelVersions;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Privacy;

/// <summary>The per-event figures an erasure takes back: all of them plus their negation leave the kept ones exactly.</summary>
public sealed class ErasureFiguresTests
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ModelVersionFigures_PlusTheErasedOnesNegated_EqualTheKeptOnes()
    {
        var kept = new EventBuilder("kept");
        var erased = new EventBuilder("erased");
        var keptEvents = new[]
        {
            kept.Track("analysis_completed", At, new { model = "m", model_version = "1", processing_time_ms = 100, cost_usd = 0.02 }),
            kept.Track("analysis_feedback", At, new { model = "m", model_version = "1", correct = true }),
        }.Select(EventFacts.Parse).ToArray();
        var erasedEvents = new[]
        {
            erased.Track("analysis_completed", At.AddSeconds(5), new { model = "m", model_version = "1", processing_time_ms = 40, error = true, cost_usd = 0.5 }),
            erased.Track("analysis_feedback", At, new { model = "m", model_version = "1", correct = false }),
        }.Select(EventFacts.Parse).ToArray();

        var total = ModelVersionFigures.Of([.. keptEvents, .. erasedEvents])["m@1"];
        total.Add(ModelVersionFigures.Of(erasedEvents)["m@1"].Negated());
        var expected = ModelVersionFigures.Of(keptEvents)["m@1"];

        Assert.Equal((1L, 0L, 1L, 100m, 0.02m, 1L, 1L), (total.Requests, total.Errors, total.LatencyCount, total.LatencySumMs, total.CostSumUsd,
            total.Feedback, total.FeedbackCorrect));
        Assert.Equal(expected.LatencyBuckets, total.LatencyBuckets);
        Assert.Equal(expected.LatencySumMs, total.LatencySumMs);
    }

    [Fact]
    public void AlertSignals_Negated_CancelTheirOwnCounts()
    {
        var events = new EventBuilder("u1");
        var signals = AlertSignals.Of([.. new[]
        {
            events.Track("analysis_completed", At, new { model = "m", model_version = "1", error = true }),
            events.Track("payment_failed", At, new { amount = 9 }),
            events.Track("payment_failed", At.AddSeconds(1), new { amount = 9 }),
        }.Select(EventFacts.Parse)]);

        var negated = signals.Negated();

        Assert.Equal(-2, negated.Counts[AlertSignals.Key(AlertSignals.PaymentFailures, AlertSignals.All)].Values.Sum());
        Assert.Equal(-1, negated.Counts[AlertSignals.Key(AlertSignals.AnalysisErrors, "m@1")].Values.Single());
        foreach (var (key, buckets) in negated.Counts)
        {
            foreach (var (bucket, count) in buckets)
            {
                Assert.Equal(-signals.Counts[key][bucket], count);
            }
        }
    }
}
