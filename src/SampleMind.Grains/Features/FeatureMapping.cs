using SampleMind.Analytics.FeatureAnalytics;

namespace SampleMind.Features;

/// <summary>Between the analytics figures, their wire form and the rows the API shows.</summary>
public static class FeatureMapping
{
    /// <summary>The grain key of an activity week: its Monday, "yyyy-MM-dd".</summary>
    public static string WeekKey(int week) => DateOnly.FromDayNumber(week).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static FeatureTotals ToWire(this FeatureFigures f) => new()
    {
        Weeks = f.Weeks.ToDictionary(p => DateOnly.FromDayNumber(p.Key), p => new FeatureWeekTotals(
            p.Value.Adopters, p.Value.Uses, p.Value.RetainedAdopters, p.Value.AdopterRevenue, p.Value.ActiveAdopted,
            p.Value.RetainedActiveAdopted)),
    };

    public static FeatureFigures ToFigures(this FeatureTotals t)
    {
        var f = new FeatureFigures();
        foreach (var (week, w) in t.Weeks)
        {
            f.Weeks[week.DayNumber] = new FeatureWeekCell
            {
                Adopters = w.Adopters, Uses = w.Uses, RetainedAdopters = w.RetainedAdopters, AdopterRevenue = w.AdopterRevenue,
                ActiveAdopted = w.ActiveAdopted, RetainedActiveAdopted = w.RetainedActiveAdopted,
            };
        }
        return f;
    }

    public static ActivityWeekTotals ToWire(this ActivityWeekFigures f) => new() { Active = f.Active, Retained = f.Retained };

    public static ActivityWeekFigures ToFigures(this ActivityWeekTotals t) => new() { Active = t.Active, Retained = t.Retained };

    /// <summary>The row of a feature from its adoption weeks (<see cref="FeatureReport.Weeks"/>).</summary>
    public static FeatureRow ToRow(string feature, IReadOnlyList<FeatureWeekFigures> weeks)
    {
        var impact = FeatureReport.RevenueImpact(weeks);
        return new FeatureRow
        {
            Feature = feature,
            Adopters = weeks.Sum(w => w.Adopters),
            Uses = weeks.Sum(w => w.Uses),
            AdopterRevenue = weeks.Sum(w => w.AdopterRevenue),
            RevenueImpact = impact is { } i ? Math.Round(i, 6) : null,
            Weeks = [.. weeks.Select(w => new FeatureWeekRow
            {
                AdoptionWeek = w.AdoptionWeek,
                Adopters = w.Adopters,
                Uses = w.Uses,
                AverageUsage = w.AverageUsage,
                RetainedAdopters = w.RetainedAdopters,
                Retention = w.Retention,
                NonAdopters = w.NonAdopters,
                RetainedNonAdopters = w.RetainedNonAdopters,
                NonAdopterRetention = w.NonAdopters == 0 ? null : Math.Round((decimal)w.RetainedNonAdopters / w.NonAdopters, 6),
                RetentionImpact = w.RetentionImpact,
                AdopterRevenue = w.AdopterRevenue,
                FeatureValue = FeatureReport.FeatureValue(w, weeks),
            })],
        };
    }
}
