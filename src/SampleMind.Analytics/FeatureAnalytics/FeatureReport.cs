namespace SampleMind.Analytics.FeatureAnalytics;

/// <summary>
/// The figures of the definitions (docs/feature-analytics.md) from the additive ones: a feature's cells and the activity
/// of its adoption weeks. Non-adopters of a week are its active people less those who had adopted by its end.
/// </summary>
public static class FeatureReport
{
    /// <summary>The feature's adoption weeks (weeks with adopters), oldest first.</summary>
    public static List<FeatureWeekFigures> Weeks(
        string feature, FeatureFigures figures, IReadOnlyDictionary<int, ActivityWeekFigures> activity)
    {
        var result = new List<FeatureWeekFigures>();
        foreach (var (week, cell) in figures.Weeks)
        {
            if (cell.Adopters <= 0)
            {
                continue;
            }
            var all = activity.GetValueOrDefault(week) ?? new ActivityWeekFigures();
            result.Add(new FeatureWeekFigures(feature, DateOnly.FromDayNumber(week), cell.Adopters, cell.Uses,
                cell.RetainedAdopters, cell.AdopterRevenue, all.Active - cell.ActiveAdopted, all.Retained - cell.RetainedActiveAdopted));
        }
        return result;
    }

    /// <summary>The adoption weeks whose activity <see cref="Weeks"/> needs.</summary>
    public static IEnumerable<int> AdoptionWeeks(FeatureFigures figures)
        => figures.Weeks.Where(w => w.Value.Adopters > 0).Select(w => w.Key);

    /// <summary>
    /// The seed's revenue impact of a feature: its adopters' revenue over all adoption weeks per adopter (mean revenue per
    /// adopter), unrounded; null without adopters.
    /// </summary>
    public static decimal? RevenueImpact(IEnumerable<FeatureWeekFigures> featureWeeks)
    {
        long adopters = 0;
        decimal revenue = 0;
        foreach (var w in featureWeeks)
        {
            adopters += w.Adopters;
            revenue += w.AdopterRevenue;
        }
        return adopters == 0 ? null : revenue / adopters;
    }

    /// <summary>
    /// The seed's feature value of one adoption week: its adopters × the feature's revenue impact, rounded to 6 decimals.
    /// </summary>
    public static decimal FeatureValue(FeatureWeekFigures week, IEnumerable<FeatureWeekFigures> featureWeeks)
        => Math.Round(week.Adopters * (RevenueImpact(featureWeeks) ?? 0m), 6);
}
