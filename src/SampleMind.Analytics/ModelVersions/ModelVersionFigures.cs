using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.ModelVersions;

/// <summary>
/// Additive figures of one AI-model version (<c>model@version</c>): a delta from one ingest, a silo's merged deltas,
/// or a version grain's totals. Every figure comes from single events, so the delta of an ingest is simply the new
/// events' own figures (no before/after).
/// <list type="bullet">
/// <item>A request is a <c>track</c> <c>analysis_completed</c> event naming both <c>model</c> and <c>model_version</c>.</item>
/// <item>Latency: its <c>processing_time_ms</c> (sum, count, max, <see cref="LatencyHistogram"/> buckets).</item>
/// <item>Errors: requests whose <c>error</c> is true. Cost: the sum of <c>cost_usd</c>.</item>
/// <item>Feedback: <c>track</c> <c>analysis_feedback</c> events naming the model and version with a boolean <c>correct</c>.</item>
/// <item>Ratings (the version's AI Analysis Quality Score): the same events' <c>rating</c> when it is a number from 1 to 5
/// (<see cref="Kpis.QualityScore.RatingOf"/>), sum and count, whether or not they carry <c>correct</c>.</item>
/// <item>First/last request: the earliest and latest request timestamps (for throughput).</item>
/// </list>
/// </summary>
public sealed class ModelVersionFigures
{
    public long Requests { get; set; }
    public long Errors { get; set; }
    public long LatencyCount { get; set; }
    public decimal LatencySumMs { get; set; }
    public decimal? LatencyMaxMs { get; set; }
    public Dictionary<int, long> LatencyBuckets { get; set; } = [];
    public decimal CostSumUsd { get; set; }
    public long Feedback { get; set; }
    public long FeedbackCorrect { get; set; }
    public decimal RatingSum { get; set; }
    public long RatingCount { get; set; }
    public DateTimeOffset? FirstRequestAt { get; set; }
    public DateTimeOffset? LastRequestAt { get; set; }

    public bool IsZero => Requests == 0 && Feedback == 0 && RatingCount == 0;

    public void Add(ModelVersionFigures other)
    {
        Requests += other.Requests;
        Errors += other.Errors;
        LatencyCount += other.LatencyCount;
        LatencySumMs += other.LatencySumMs;
        LatencyMaxMs = Max(LatencyMaxMs, other.LatencyMaxMs);
        LatencyHistogram.Merge(LatencyBuckets, other.LatencyBuckets);
        CostSumUsd += other.CostSumUsd;
        Feedback += other.Feedback;
        FeedbackCorrect += other.FeedbackCorrect;
        RatingSum += other.RatingSum;
        RatingCount += other.RatingCount;
        FirstRequestAt = other.FirstRequestAt is { } f && (FirstRequestAt is null || f < FirstRequestAt) ? f : FirstRequestAt;
        LastRequestAt = other.LastRequestAt is { } l && (LastRequestAt is null || l > LastRequestAt) ? l : LastRequestAt;
    }

    /// <summary>
    /// The figures taken back when their events are erased: every additive figure negated. The extremes (largest
    /// latency, first and last request) cannot be subtracted: they are left out (null), and the erasure restates them
    /// from the log that remains (<c>ModelVersionUserRollup.AfterEraseAsync</c>).
    /// </summary>
    public ModelVersionFigures Negated() => new()
    {
        Requests = -Requests,
        Errors = -Errors,
        LatencyCount = -LatencyCount,
        LatencySumMs = -LatencySumMs,
        LatencyBuckets = LatencyBuckets.ToDictionary(b => b.Key, b => -b.Value),
        CostSumUsd = -CostSumUsd,
        Feedback = -Feedback,
        FeedbackCorrect = -FeedbackCorrect,
        RatingSum = -RatingSum,
        RatingCount = -RatingCount,
    };

    /// <summary>The key of the model version an event is about, or null when it names no model or no version.</summary>
    public static string? KeyOf(EventFacts e)
        => e is { Type: "track", Model: { } model, ModelVersion: { } version } ? Key(model, version) : null;

    public static string Key(string model, string version) => $"{model}@{version}";

    /// <summary>The figures of a set of (new) events, per model version.</summary>
    public static Dictionary<string, ModelVersionFigures> Of(IEnumerable<EventFacts> events)
    {
        var result = new Dictionary<string, ModelVersionFigures>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Name is not (EventNames.AnalysisCompleted or EventNames.AnalysisFeedback) || KeyOf(e) is not { } key)
            {
                continue;
            }
            var rating = Kpis.QualityScore.RatingOf(e);
            if (e.Name == EventNames.AnalysisFeedback && e.Correct is null && rating is null)
            {
                continue;
            }
            if (!result.TryGetValue(key, out var f))
            {
                result[key] = f = new ModelVersionFigures();
            }
            if (e.Name == EventNames.AnalysisFeedback)
            {
                if (e.Correct is { } correct)
                {
                    f.Feedback++;
                    f.FeedbackCorrect += correct ? 1 : 0;
                }
                if (rating is { } r)
                {
                    f.RatingSum += r;
                    f.RatingCount++;
                }
                continue;
            }
            f.Requests++;
            f.Errors += e.Error == true ? 1 : 0;
            f.CostSumUsd += e.CostUsd ?? 0m;
            if (e.ProcessingTimeMs is { } ms)
            {
                f.LatencyCount++;
                f.LatencySumMs += ms;
                f.LatencyMaxMs = Max(f.LatencyMaxMs, ms);
                var bucket = LatencyHistogram.BucketOf(ms);
                f.LatencyBuckets[bucket] = f.LatencyBuckets.GetValueOrDefault(bucket) + 1;
            }
            f.FirstRequestAt = f.FirstRequestAt is { } first && first <= e.Timestamp ? first : e.Timestamp;
            f.LastRequestAt = f.LastRequestAt is { } last && last >= e.Timestamp ? last : e.Timestamp;
        }
        return result;
    }

    private static decimal? Max(decimal? a, decimal? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}

/// <summary>The derived figures of a model version, as the API shows them.</summary>
public sealed record class ModelVersionValues(
    long Requests,
    decimal? AvgLatencyMs,
    decimal? P99LatencyMs,
    decimal? RequestsPerSecond,
    decimal? ErrorRate,
    long Feedback,
    decimal? FeedbackAccuracy,
    decimal? CostPerRequestUsd,
    long Ratings,
    decimal? QualityScore)
{
    public const int Decimals = 6;

    /// <summary>
    /// avg latency = latency sum / latency count; p99 = <see cref="LatencyHistogram.Percentile"/> at 99; throughput =
    /// requests / seconds between the first and last request (null while that span is zero); error rate = errors /
    /// requests; feedback accuracy = correct / feedback; cost per request = cost sum / requests; quality score = rating
    /// sum / ratings. Ratios are rounded to
    /// 6 decimals (away from zero); a ratio with a zero denominator is null.
    /// </summary>
    public static ModelVersionValues From(ModelVersionFigures f)
    {
        var spanSeconds = f is { FirstRequestAt: { } first, LastRequestAt: { } last } ? (decimal)(last - first).Ticks / TimeSpan.TicksPerSecond : 0m;
        return new(
            f.Requests,
            Ratio(f.LatencySumMs, f.LatencyCount),
            f.LatencyMaxMs is { } max ? LatencyHistogram.Percentile(f.LatencyBuckets, max, 99) : null,
            Ratio(f.Requests, spanSeconds),
            Ratio(f.Errors, f.Requests),
            f.Feedback,
            Ratio(f.FeedbackCorrect, f.Feedback),
            Ratio(f.CostSumUsd, f.Requests),
            f.RatingCount,
            Ratio(f.RatingSum, f.RatingCount));
    }

    private static decimal? Ratio(decimal numerator, decimal denominator)
        => denominator == 0 ? null : Math.Round(numerator / denominator, Decimals, MidpointRounding.AwayFromZero);
}
