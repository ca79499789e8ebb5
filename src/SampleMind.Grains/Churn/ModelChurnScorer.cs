using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Users;

namespace SampleMind.Churn;

/// <summary>
/// The silo's churn scorer: the promoted trained version (one shared, thread-safe <see cref="ChurnPredictor"/>), or the
/// rule-based score (<c>rules@1</c>) while no version is promoted. <see cref="ChurnModelRefresher"/> swaps the version in
/// without a restart; a call sees either the old or the new version, never a mix.
/// </summary>
public sealed class ModelChurnScorer(TimeProvider timeProvider) : IChurnScorer
{
    private readonly RuleChurnScorer _rules = new();
    private volatile ChurnPredictor? _predictor;

    /// <summary>The version scores come from now ("churn@N" or "rules@1").</summary>
    public string Version => _predictor?.Version ?? RuleBasedChurnScorer.Version;

    public void Use(ChurnPredictor? predictor) => _predictor = predictor;

    public ChurnAssessment Assess(UserModel model, in ChurnFeatureValues features)
        => _predictor is { } predictor ? predictor.Assess(model, features, timeProvider.GetUtcNow()) : _rules.Assess(model, features);

    public ChurnRisk Risk(UserModel model, in ChurnFeatureValues features)
        => _predictor is { } predictor ? predictor.Risk(model, features, timeProvider.GetUtcNow()) : _rules.Risk(model, features);

    public SegmentForecastValue? ForecastSegment(UserModel model, in ChurnFeatureValues features)
        => _predictor?.ForecastSegment(model, features, timeProvider.GetUtcNow());
}
