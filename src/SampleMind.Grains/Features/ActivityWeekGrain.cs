using SampleMind.Rollups;

namespace SampleMind.Features;

/// <summary>Everyone's activity in one ISO week, keyed by its Monday "yyyy-MM-dd": the base of every feature's non-adopters.</summary>
public sealed class ActivityWeekGrain(
    [PersistentState("activity-week", "Default")] IPersistentState<CataloguedRollupState<ActivityWeekTotals>> state)
    : CataloguedRollupGrain<ActivityWeekTotals>(state, IRollupCatalogGrain.ActivityWeeks), IActivityWeekGrain
{
    protected override ActivityWeekTotals Add(ActivityWeekTotals totals, ActivityWeekTotals delta)
        => new() { Active = totals.Active + delta.Active, Retained = totals.Retained + delta.Retained };
}
