using SampleMind.Analytics.ModelVersions;

namespace SampleMind.ModelVersions;

/// <summary>Between the analytics figures and their wire form.</summary>
public static class ModelVersionMapping
{
    public static ModelVersionTotals ToWire(this ModelVersionFigures f) => new()
    {
        Requests = f.Requests,
        Errors = f.Errors,
        LatencyCount = f.LatencyCount,
        LatencySumMs = f.LatencySumMs,
        LatencyMaxMs = f.LatencyMaxMs,
        LatencyBuckets = new Dictionary<int, long>(f.LatencyBuckets),
        CostSumUsd = f.CostSumUsd,
        Feedback = f.Feedback,
        FeedbackCorrect = f.FeedbackCorrect,
        RatingSum = f.RatingSum,
        RatingCount = f.RatingCount,
        FirstRequestAt = f.FirstRequestAt,
        LastRequestAt = f.LastRequestAt,
    };

    public static ModelVersionFigures ToFigures(this ModelVersionTotals t) => new()
    {
        Requests = t.Requests,
        Errors = t.Errors,
        LatencyCount = t.LatencyCount,
        LatencySumMs = t.LatencySumMs,
        LatencyMaxMs = t.LatencyMaxMs,
        LatencyBuckets = new Dictionary<int, long>(t.LatencyBuckets),
        CostSumUsd = t.CostSumUsd,
        Feedback = t.Feedback,
        FeedbackCorrect = t.FeedbackCorrect,
        RatingSum = t.RatingSum,
        RatingCount = t.RatingCount,
        FirstRequestAt = t.FirstRequestAt,
        LastRequestAt = t.LastRequestAt,
    };

    /// <summary>The row of the version keyed <paramref name="key"/> ("model@version"; the version follows the last '@').</summary>
    public static ModelVersionRow ToRow(this ModelVersionFigures f, string key)
    {
        var at = key.LastIndexOf('@');
        var v = ModelVersionValues.From(f);
        return new ModelVersionRow
        {
            Model = at < 0 ? key : key[..at],
            Version = at < 0 ? "" : key[(at + 1)..],
            Requests = v.Requests,
            AvgLatencyMs = v.AvgLatencyMs,
            P99LatencyMs = v.P99LatencyMs,
            RequestsPerSecond = v.RequestsPerSecond,
            ErrorRate = v.ErrorRate,
            Feedback = v.Feedback,
            FeedbackAccuracy = v.FeedbackAccuracy,
            CostPerRequestUsd = v.CostPerRequestUsd,
            Ratings = v.Ratings,
            QualityScore = v.QualityScore,
            FirstRequestAt = f.FirstRequestAt,
            LastRequestAt = f.LastRequestAt,
        };
    }
}
