using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Rollups;

namespace SampleMind.Features;

/// <summary>
/// One feature's additive figures by week, keyed by the feature name. Its row joins the activity of its adoption weeks
/// (read from their <see cref="IActivityWeekGrain"/>s when asked, never per event) to count the non-adopters.
/// </summary>
public sealed class FeatureGrain(
    [PersistentState("feature", "Default")] IPersistentState<CataloguedRollupState<FeatureTotals>> state)
    : CataloguedRollupGrain<FeatureTotals>(state, IRollupCatalogGrain.Features), IFeatureGrain
{
    protected override FeatureTotals Add(FeatureTotals totals, FeatureTotals delta)
    {
        var sum = totals.ToFigures();
        sum.Add(delta.ToFigures());
        return sum.ToWire();
    }

    public async Task<FeatureRow> GetAsync()
    {
        var figures = Totals.ToFigures();
        var weeks = FeatureReport.AdoptionWeeks(figures).ToArray();
        var activity = await Task.WhenAll(weeks.Select(w => GrainFactory.GetGrain<IActivityWeekGrain>(FeatureMapping.WeekKey(w)).GetTotalsAsync()));
        var byWeek = weeks.Zip(activity).ToDictionary(p => p.First, p => p.Second.ToFigures());
        var feature = this.GetPrimaryKeyString();
        return FeatureMapping.ToRow(feature, FeatureReport.Weeks(feature, figures, byWeek));
    }
}
