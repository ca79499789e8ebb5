namespace SampleMind.Analytics.Churn;

/// <summary>One reason behind a churn score.</summary>
public readonly record struct ChurnFactor(string Feature, double Value, double Contribution, string Description);

/// <summary>A churn score with its level, top factors and the recommended actions.</summary>
public sealed record class ChurnAssessment(
    double Score,
    string Level,
    IReadOnlyList<ChurnFactor> Factors,
    IReadOnlyList<string> Actions,
    decimal Ltv,
    decimal ExpectedLtvImpact,
    string ModelVersion);

/// <summary>A churn score without its explanation (no factors, no actions): what the user index keeps.</summary>
public readonly record struct ChurnRisk(double Score, string Level, decimal Ltv, string ModelVersion)
{
    /// <summary>A score completed with its level and LTV, exactly as <see cref="RuleBasedChurnScorer.Complete"/> does.</summary>
    public static ChurnRisk Of(double score, decimal realizedRevenue, decimal monthlyRevenue, string modelVersion)
        => new(score, RiskLevels.For(score), Lifetime.Value(realizedRevenue, monthlyRevenue, score), modelVersion);
}

/// <summary>The seed's risk levels: score &gt; 0.7 HIGH, &gt; 0.4 MEDIUM, else LOW.</summary>
public static class RiskLevels
{
    public const string High = "HIGH";
    public const string Medium = "MEDIUM";
    public const string Low = "LOW";

    public static string For(double score) => score > 0.7 ? High : score > 0.4 ? Medium : Low;
}

/// <summary>Retention actions the growth team can take (names shared with retention campaigns).</summary>
public static class RetentionActions
{
    public const string CardUpdateReminder = "card_update_reminder";
    public const string TutorialEmail = "tutorial_email";
    public const string SupportCallback = "support_callback";
    public const string Discount20 = "discount_20";
    public const string ReengagementEmail = "reengagement_email";

    public static readonly IReadOnlyList<string> All = [CardUpdateReminder, TutorialEmail, SupportCallback, Discount20, ReengagementEmail];
}

/// <summary>
/// The transparent, rule-based churn score used until a trained model is promoted: a logistic function of
/// the seven features with fixed, documented weights. Each term's contribution is its weight × (value − a
/// healthy user's value), so the factors explain the score in the same units.
/// </summary>
public static class RuleBasedChurnScorer
{
    public const string Version = "rules@1";

    private const double Intercept = -1.6;

    private static readonly string[] TermNames =
        ["days_since_last_login", "usage_trend_30d", "support_tickets", "payment_failures", "feature_adoption_rate", "session_frequency", "engagement_score"];

    public static ChurnAssessment Assess(in ChurnFeatureValues f, decimal realizedRevenue, decimal monthlyRevenue)
    {
        Span<double> contributions = stackalloc double[TermNames.Length];
        var score = Score(f, contributions);
        ReadOnlySpan<double> values =
            [f.DaysSinceLastLogin, f.UsageTrend30d, f.SupportTickets, f.PaymentFailures, f.FeatureAdoptionRate, f.SessionFrequency, f.EngagementScore];
        var terms = new ChurnFactor[TermNames.Length];
        for (var i = 0; i < terms.Length; i++)
        {
            terms[i] = new ChurnFactor(TermNames[i], values[i], contributions[i], string.Empty);
        }

        var factors = terms
            .Where(t => t.Contribution > 0)
            .OrderByDescending(t => t.Contribution)
            .ThenBy(t => t.Feature, StringComparer.Ordinal)
            .Take(3)
            .Select(t => t with { Contribution = Math.Round(t.Contribution, 4), Description = ChurnModelFeatures.Describe(t.Feature, t.Value) })
            .ToArray();

        return Complete(score, factors, f, realizedRevenue, monthlyRevenue, Version);
    }

    /// <summary>The score alone (as <see cref="Assess"/> gives it), with its level and LTV: no factors, no actions.</summary>
    public static ChurnRisk Risk(in ChurnFeatureValues f, decimal realizedRevenue, decimal monthlyRevenue)
        => ChurnRisk.Of(Score(f, stackalloc double[TermNames.Length]), realizedRevenue, monthlyRevenue, Version);

    /// <summary>The logistic score; each term's contribution goes to <paramref name="contributions"/> (in <see cref="TermNames"/> order).</summary>
    private static double Score(in ChurnFeatureValues f, Span<double> contributions)
    {
        contributions[0] = 0.09 * (Math.Min(f.DaysSinceLastLogin, 60) - 2);
        contributions[1] = -1.4 * f.UsageTrend30d;
        contributions[2] = 0.5 * Math.Min(f.SupportTickets, 5);
        contributions[3] = 0.9 * Math.Min(f.PaymentFailures, 5);
        contributions[4] = -2.0 * (f.FeatureAdoptionRate - 0.3);
        contributions[5] = -0.3 * (Math.Min(f.SessionFrequency, 10) - 2);
        contributions[6] = -0.03 * (f.EngagementScore - 40);
        var z = Intercept;
        foreach (var c in contributions)
        {
            z += c;
        }
        return Math.Round(1.0 / (1.0 + Math.Exp(-z)), 4);
    }

    /// <summary>A score with its factors, completed with the level, LTV, expected LTV impact (LTV × risk) and the actions of the rules table.</summary>
    public static ChurnAssessment Complete(double score, IReadOnlyList<ChurnFactor> factors, in ChurnFeatureValues f,
        decimal realizedRevenue, decimal monthlyRevenue, string modelVersion)
    {
        var (_, level, ltv, _) = ChurnRisk.Of(score, realizedRevenue, monthlyRevenue, modelVersion);
        return new ChurnAssessment(score, level, factors, RecommendActions(f, level, ltv), ltv,
            Math.Round(ltv * (decimal)score, 2), modelVersion);
    }

    /// <summary>The rules table: payment failures → card update; falling usage → tutorial; tickets → support; high LTV at HIGH risk → discount.</summary>
    public static IReadOnlyList<string> RecommendActions(in ChurnFeatureValues f, string level, decimal ltv)
    {
        var actions = new List<string>(4);
        if (f.PaymentFailures > 0)
        {
            actions.Add(RetentionActions.CardUpdateReminder);
        }
        if (f.UsageTrend30d <= -0.2)
        {
            actions.Add(RetentionActions.TutorialEmail);
        }
        if (f.SupportTickets > 0)
        {
            actions.Add(RetentionActions.SupportCallback);
        }
        if (level == RiskLevels.High && ltv >= Lifetime.HighValueThreshold)
        {
            actions.Add(RetentionActions.Discount20);
        }
        if (actions.Count == 0 && level != RiskLevels.Low)
        {
            actions.Add(RetentionActions.ReengagementEmail);
        }
        return actions;
    }
}

/// <summary>Customer lifetime value: realized revenue plus expected future revenue.</summary>
public static class Lifetime
{
    /// <summary>LTV from which a HIGH-risk user is worth a discount.</summary>
    public const decimal HighValueThreshold = 200m;

    /// <summary>Expected remaining lifetime is capped at three years.</summary>
    public const double MaxRemainingMonths = 36;

    /// <summary>
    /// realized + monthly revenue × expected remaining months, where the churn score is read as the monthly
    /// churn probability p (floored at 2%) and the expected remaining lifetime of a geometric process is (1 − p) / p.
    /// </summary>
    public static decimal Value(decimal realized, decimal monthlyRevenue, double churnProbability)
    {
        var p = Math.Clamp(churnProbability, 0.02, 1.0);
        var months = Math.Min(MaxRemainingMonths, (1 - p) / p);
        return Math.Round(realized + monthlyRevenue * (decimal)months, 2);
    }
}
