namespace SampleMind.Analytics.FeatureAnalytics;

/// <summary>The figures of one feature and adoption week, live (<see cref="FeatureReport"/>) or by the SQL oracle.</summary>
/// <param name="Feature">The <c>feature</c> property of the <c>feature_used</c> events.</param>
/// <param name="AdoptionWeek">The Monday (UTC) of the ISO week of the adopters' first use.</param>
/// <param name="Adopters">People whose first use of the feature falls in that week.</param>
/// <param name="Uses">All uses of the feature by those adopters, at any time.</param>
/// <param name="RetainedAdopters">Adopters with any event in the ISO week four weeks after the adoption week.</param>
/// <param name="AdopterRevenue">The <c>payment_succeeded</c> amounts of those adopters, at any time.</param>
/// <param name="NonAdopters">People with any event in the adoption week who had not used the feature by its end.</param>
/// <param name="RetainedNonAdopters">Those non-adopters with any event in the ISO week four weeks after.</param>
public sealed record class FeatureWeekFigures(
    string Feature, DateOnly AdoptionWeek, long Adopters, long Uses, long RetainedAdopters, decimal AdopterRevenue,
    long NonAdopters, long RetainedNonAdopters)
{
    /// <summary>Uses per adopter, rounded to 6 decimals.</summary>
    public decimal AverageUsage => Math.Round((decimal)Uses / Adopters, 6);

    /// <summary>The share of adopters retained four weeks on, rounded to 6 decimals.</summary>
    public decimal Retention => Math.Round((decimal)RetainedAdopters / Adopters, 6);

    /// <summary>
    /// The retention impact: adopters' four-week retention minus the non-adopters' of the same week, rounded to 6
    /// decimals; null without non-adopters.
    /// </summary>
    public decimal? RetentionImpact => NonAdopters == 0
        ? null
        : Math.Round((decimal)RetainedAdopters / Adopters - (decimal)RetainedNonAdopters / NonAdopters, 6);
}

