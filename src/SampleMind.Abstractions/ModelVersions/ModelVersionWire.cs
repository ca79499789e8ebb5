namespace SampleMind.ModelVersions;

/// <summary>Additive figures of one AI-model version (a pre-aggregated delta or a version grain's totals).</summary>
[GenerateSerializer, Immutable, Alias("sm.model-version-totals")]
public sealed record class ModelVersionTotals
{
    [Id(0)] public long Requests { get; init; }
    [Id(1)] public long Errors { get; init; }
    [Id(2)] public long LatencyCount { get; init; }
    [Id(3)] public decimal LatencySumMs { get; init; }
    [Id(4)] public decimal? LatencyMaxMs { get; init; }
    /// <summary>Latency histogram: bucket index (see SampleMind.Analytics.ModelVersions.LatencyHistogram) → requests.</summary>
    [Id(5)] public Dictionary<int, long> LatencyBuckets { get; init; } = [];
    [Id(6)] public decimal CostSumUsd { get; init; }
    [Id(7)] public long Feedback { get; init; }
    [Id(8)] public long FeedbackCorrect { get; init; }
    [Id(9)] public DateTimeOffset? FirstRequestAt { get; init; }
    [Id(10)] public DateTimeOffset? LastRequestAt { get; init; }
    /// <summary>Sum and count of the version's analysis_feedback ratings from 1 to 5.</summary>
    [Id(11)] public decimal RatingSum { get; init; }
    [Id(12)] public long RatingCount { get; init; }
}

/// <summary>One AI-model version's figures, as GET /api/models shows them.</summary>
[GenerateSerializer, Immutable, Alias("sm.model-version-row")]
public sealed record class ModelVersionRow
{
    [Id(0)] public required string Model { get; init; }
    [Id(1)] public required string Version { get; init; }
    [Id(2)] public required long Requests { get; init; }
    /// <summary>Mean processing_time_ms of the requests that report one.</summary>
    [Id(3)] public decimal? AvgLatencyMs { get; init; }
    /// <summary>Upper bound of the 1.05-ratio histogram bucket holding the nearest-rank 99th percentile, capped at the maximum.</summary>
    [Id(4)] public decimal? P99LatencyMs { get; init; }
    /// <summary>Requests per second between the version's first and last request.</summary>
    [Id(5)] public decimal? RequestsPerSecond { get; init; }
    /// <summary>Requests with error = true / requests.</summary>
    [Id(6)] public decimal? ErrorRate { get; init; }
    /// <summary>analysis_feedback events with a boolean correct.</summary>
    [Id(7)] public required long Feedback { get; init; }
    /// <summary>Feedback with correct = true / feedback.</summary>
    [Id(8)] public decimal? FeedbackAccuracy { get; init; }
    /// <summary>Sum of cost_usd / requests.</summary>
    [Id(9)] public decimal? CostPerRequestUsd { get; init; }
    [Id(10)] public DateTimeOffset? FirstRequestAt { get; init; }
    [Id(11)] public DateTimeOffset? LastRequestAt { get; init; }
    /// <summary>For a trained model (e.g. <c>churn@3</c>): its evaluation when it was trained; null otherwise.</summary>
    [Id(12)] public ModelTraining? Training { get; init; }
    /// <summary>analysis_feedback events with a rating from 1 to 5.</summary>
    [Id(13)] public long Ratings { get; init; }
    /// <summary>The version's AI Analysis Quality Score: mean rating (5-point), null without ratings.</summary>
    [Id(14)] public decimal? QualityScore { get; init; }
}

/// <summary>How a trained model version scored on held-out users at later dates (samplemind train-churn).</summary>
[GenerateSerializer, Immutable, Alias("sm.model-training")]
public sealed record class ModelTraining
{
    [Id(0)] public required DateTimeOffset TrainedAt { get; init; }
    [Id(1)] public required double Auc { get; init; }
    [Id(2)] public required double PrAuc { get; init; }
    [Id(3)] public required double LogLoss { get; init; }
    [Id(4)] public required CalibrationDecile[] Calibration { get; init; }
    [Id(5)] public required int TestExamples { get; init; }
    [Id(6)] public required int TestPositives { get; init; }
    [Id(7)] public double? SegmentAccuracy { get; init; }
    [Id(8)] public double? Brier { get; init; }
    /// <summary>Expected calibration error over the ten equal-count deciles of <see cref="Calibration"/>.</summary>
    [Id(9)] public double? Ece { get; init; }
    [Id(10)] public double? TopDecileCapture { get; init; }
    /// <summary>Whether every training label window closed by the first test date (issue 19.2).</summary>
    [Id(11)] public bool? OutOfTime { get; init; }
    /// <summary>Global feature importance, highest first (<see cref="FeatureImportanceMethod"/>).</summary>
    [Id(12)] public FeatureWeight[]? FeatureImportance { get; init; }
    [Id(13)] public string? FeatureImportanceMethod { get; init; }
    /// <summary>On simulated data trained with --truth: the AUC of the true probabilities on the same test examples.</summary>
    [Id(14)] public double? OracleAuc { get; init; }
}

/// <summary>One feature's share of a model's importance.</summary>
[GenerateSerializer, Immutable, Alias("sm.feature-weight")]
public sealed record class FeatureWeight([property: Id(0)] string Feature, [property: Id(1)] double Importance);

/// <summary>One decile of predicted probability: how many examples, the mean prediction and the observed rate.</summary>
[GenerateSerializer, Immutable, Alias("sm.calibration-decile")]
public sealed record class CalibrationDecile(
    [property: Id(0)] int Decile,
    [property: Id(1)] int Count,
    [property: Id(2)] double MeanPredicted,
    [property: Id(3)] double ObservedRate);

/// <summary>One AI-model version, keyed "model@version" (e.g. "genre_classification@2.1"). Fed about once a second by each silo's pre-aggregator.</summary>
public interface IModelVersionGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(ModelVersionTotals delta, string source, long sequence);

    /// <summary>The version's derived figures.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<ModelVersionRow> GetAsync();

    /// <summary>The additive figures behind the row.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<ModelVersionTotals> GetTotalsAsync();

    /// <summary>Records a trained version's evaluation (idempotent) and lists the version in the catalogue.</summary>
    Task SetTrainingAsync(ModelTraining training);

    /// <summary>Replaces the figures (reconcile --fix, from the event log).</summary>
    Task ResetAsync(ModelVersionTotals totals);

    /// <summary>
    /// An erasure's restatement of the extremes (largest latency, first and last request), which cannot be subtracted:
    /// from now on the grain collects the extremes of every delta it applies, until <see cref="CompleteRestateAsync"/>.
    /// </summary>
    Task BeginRestateAsync(Guid restate);

    /// <summary>
    /// Sets the extremes to those of the log that remains (read after <see cref="BeginRestateAsync"/>) merged with the
    /// extremes collected since: a delta applied before the begin came from events the read saw, one applied after is
    /// merged either way (extremes merge idempotently). False when the collection was lost (the grain was deactivated
    /// in between): the caller begins again.
    /// </summary>
    Task<bool> CompleteRestateAsync(Guid restate, ModelVersionExtremes remaining);
}

/// <summary>The extremes of a model version's requests in the log (null: no request with one).</summary>
[GenerateSerializer, Immutable, Alias("sm.model-version-extremes")]
public sealed record class ModelVersionExtremes(
    [property: Id(0)] decimal? LatencyMaxMs,
    [property: Id(1)] DateTimeOffset? FirstRequestAt,
    [property: Id(2)] DateTimeOffset? LastRequestAt)
{
    public static readonly ModelVersionExtremes None = new(null, null, null);

    /// <summary>The larger maximum, the earlier first and the later last request of both.</summary>
    public ModelVersionExtremes Merge(decimal? latencyMaxMs, DateTimeOffset? first, DateTimeOffset? last) => new(
        LatencyMaxMs is null ? latencyMaxMs : latencyMaxMs is null ? LatencyMaxMs : Math.Max(LatencyMaxMs.Value, latencyMaxMs.Value),
        FirstRequestAt is null ? first : first is null ? FirstRequestAt : first < FirstRequestAt ? first : FirstRequestAt,
        LastRequestAt is null ? last : last is null ? LastRequestAt : last > LastRequestAt ? last : LastRequestAt);
}
