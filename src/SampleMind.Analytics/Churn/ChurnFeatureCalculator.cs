namespace SampleMind.Analytics.Churn;

/// <summary>The seed's seven churn features.</summary>
public readonly record struct ChurnFeatureValues(
    double DaysSinceLastLogin,
    double UsageTrend30d,
    int SupportTickets,
    int PaymentFailures,
    double FeatureAdoptionRate,
    double SessionFrequency,
    double EngagementScore);

/// <summary>
/// Computes the churn features from a user's windows. Definitions (all as of "now", windows in UTC days):
/// usage_trend_30d = (analyses in the last 30 days − analyses in the 30 before) / (their sum), in [−1, 1], 0 when both are 0;
/// support_tickets and payment_failures count the last 30 days; feature_adoption_rate = distinct features used / the
/// catalogue size; session_frequency = sessions per week over the last 30 days; engagement_score in [0, 100] weighs
/// analyses (40), session frequency (30), adoption (20) and login recency (10).
/// </summary>
public static class ChurnFeatureCalculator
{
    /// <summary>Size of SampleMind's feature catalogue, the denominator of feature_adoption_rate.</summary>
    public const int FeatureCatalogSize = 20;

    public static ChurnFeatureValues Compute(
        double daysSinceLastLogin,
        int analysesLast30,
        int analysesPrior30,
        int supportTickets30,
        int paymentFailures30,
        int distinctFeatures,
        int sessionsLast30)
    {
        var total = analysesLast30 + analysesPrior30;
        var trend = total == 0 ? 0.0 : (analysesLast30 - analysesPrior30) / (double)total;
        var adoption = Math.Min(1.0, distinctFeatures / (double)FeatureCatalogSize);
        var sessionFrequency = sessionsLast30 / (30.0 / 7.0);
        var engagement =
            40.0 * Math.Min(1.0, analysesLast30 / 40.0)
            + 30.0 * Math.Min(1.0, sessionFrequency / 5.0)
            + 20.0 * adoption
            + 10.0 * (1.0 - Math.Min(1.0, daysSinceLastLogin / 30.0));
        return new ChurnFeatureValues(
            Round(daysSinceLastLogin),
            Round(trend),
            supportTickets30,
            paymentFailures30,
            Round(adoption),
            Round(sessionFrequency),
            Round(engagement));
    }

    private static double Round(double value) => Math.Round(value, 4, MidpointRounding.ToEven);
}
