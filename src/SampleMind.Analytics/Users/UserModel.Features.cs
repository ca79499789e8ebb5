namespace SampleMind.Analytics.Users;

/// <summary>What feature analytics needs of a person: uses per feature and every ISO week with activity.</summary>
public sealed partial class UserModel
{
    // Parallel to _featureNames: how many uses of each (feature_used events naming it).
    private int[] _featureUses = [];

    // Every ISO week (its Monday's day number) with any event, ascending. Kept for the person's whole life, unlike the
    // day buckets: a feature's retention looks four weeks past an adoption week of any age. Replaced, never written in
    // place, so a rollup may hold the array of before an ingest without copying it.
    private int[] _activeWeeks = [];

    /// <summary>Uses of each of <see cref="FeaturesUsed"/> (same order).</summary>
    public ReadOnlySpan<int> FeatureUseCounts => _featureUses;

    /// <summary>The Mondays (day numbers) of every ISO week with any event, ascending.</summary>
    public ReadOnlySpan<int> ActiveWeeks => _activeWeeks;

    /// <summary>Whether the person has any event in the ISO week of <paramref name="day"/>.</summary>
    public bool IsActiveInWeekOf(int day) => Array.BinarySearch(_activeWeeks, WeekOf(day)) >= 0;

    /// <summary>
    /// The feature facts as they are now, for a rollup to compare with after an ingest: the week array is shared (it is
    /// never changed in place), the per-feature arrays are copied (first uses and counts are).
    /// </summary>
    public FeatureActivity FeatureActivity()
        => new(_featureNames, [.. _featureFirstUse], [.. _featureUses], _activeWeeks, LifetimeRevenue);

    /// <summary>
    /// The feature facts without copying, with <paramref name="revenue"/> as their revenue: valid until the next
    /// <c>feature_used</c> is applied (first uses and counts change in place).
    /// </summary>
    public FeatureActivity FeatureActivityView(decimal revenue) => new(_featureNames, _featureFirstUse, _featureUses, _activeWeeks, revenue);

    /// <summary>The Monday (day number) of the ISO week of a day; day 0, 0001-01-01, is a Monday.</summary>
    public static int WeekOf(int day) => day - (((day % 7) + 7) % 7);

    private void MarkActiveWeek(int day)
    {
        var week = WeekOf(day);
        var i = Array.BinarySearch(_activeWeeks, week);
        if (i < 0)
        {
            _activeWeeks = Inserted(_activeWeeks, ~i, week);
        }
    }
}

/// <summary>
/// One person's feature facts at one moment: features (sorted ordinal) with their first use (UTC ticks) and use count,
/// the active ISO weeks (Mondays' day numbers, ascending) and the sum of their payment_succeeded amounts.
/// </summary>
public sealed record class FeatureActivity(string[] Features, long[] FirstUse, int[] Uses, int[] ActiveWeeks, decimal Revenue)
{
    public static readonly FeatureActivity None = new([], [], [], [], 0m);
}
