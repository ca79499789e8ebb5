using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Users;

namespace SampleMind.Churn;

/// <summary>
/// Scores one user's churn risk from the seven churn features (with the factors, actions and LTV that go with it).
/// One instance per silo, shared by every user grain, so it must be thread-safe.
/// </summary>
public interface IChurnScorer
{
    /// <summary>The version scores come from now ("rules@1", "churn@N").</summary>
    string Version { get; }

    ChurnAssessment Assess(UserModel model, in ChurnFeatureValues features);

    /// <summary>The score of <see cref="Assess"/> with its level and LTV only (no factors, no actions): cheaper, for the user index.</summary>
    ChurnRisk Risk(UserModel model, in ChurnFeatureValues features);

    /// <summary>The segment predicted for 30 days from now; null when the scorer cannot predict it (the rules cannot).</summary>
    SegmentForecastValue? ForecastSegment(UserModel model, in ChurnFeatureValues features) => null;
}

/// <summary>The transparent rule-based score (<see cref="RuleBasedChurnScorer"/>), used until a trained model is promoted.</summary>
public sealed class RuleChurnScorer : IChurnScorer
{
    public string Version => RuleBasedChurnScorer.Version;

    public ChurnAssessment Assess(UserModel model, in ChurnFeatureValues features)
        => RuleBasedChurnScorer.Assess(features, model.LifetimeRevenue, model.MonthlyRevenue);

    public ChurnRisk Risk(UserModel model, in ChurnFeatureValues features)
        => RuleBasedChurnScorer.Risk(features, model.LifetimeRevenue, model.MonthlyRevenue);
}
