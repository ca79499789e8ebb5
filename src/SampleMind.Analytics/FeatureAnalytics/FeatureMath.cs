using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.FeatureAnalytics;

/// <summary>One person's share of the feature and activity-week figures, and the change between two of their states.</summary>
public static class FeatureMath
{
    /// <summary>Days from an adoption week to the week its retention is measured in (the ISO week four weeks on).</summary>
    public const int RetentionOffsetDays = 28;

    /// <summary>
    /// The person's share of feature <paramref name="index"/> of <paramref name="activity"/>: in its adoption week (the
    /// week of the first use) one adopter with all their uses, retained when active four weeks on, with all their revenue;
    /// in every week they were active from the adoption week on, one active adopter (retained likewise).
    /// </summary>
    public static FeatureFigures ShareOf(FeatureActivity activity, int index)
    {
        var share = new FeatureFigures();
        var adoption = UserModel.WeekOf(UserModel.DayOf(activity.FirstUse[index]));
        var cell = share.Week(adoption);
        cell.Adopters = 1;
        cell.Uses = activity.Uses[index];
        cell.RetainedAdopters = IsActive(activity, adoption + RetentionOffsetDays) ? 1 : 0;
        cell.AdopterRevenue = activity.Revenue;
        foreach (var week in activity.ActiveWeeks)
        {
            if (week >= adoption)
            {
                var w = share.Week(week);
                w.ActiveAdopted = 1;
                w.RetainedActiveAdopted = IsActive(activity, week + RetentionOffsetDays) ? 1 : 0;
            }
        }
        return share;
    }

    /// <summary>
    /// The person's share of the activity weeks: one active person per active week, retained when active four weeks on.
    /// </summary>
    public static Dictionary<int, ActivityWeekFigures> WeeksShareOf(FeatureActivity activity)
    {
        var share = new Dictionary<int, ActivityWeekFigures>();
        foreach (var week in activity.ActiveWeeks)
        {
            share[week] = new ActivityWeekFigures { Active = 1, Retained = IsActive(activity, week + RetentionOffsetDays) ? 1 : 0 };
        }
        return share;
    }

    /// <summary>
    /// The change from <paramref name="before"/> to <paramref name="after"/>: per feature, and per activity week. The
    /// common case, one more use in an adoption week and weeks and revenue unchanged, is one cell's uses; a late earlier use
    /// moves the feature's whole share to its new adoption week; a new active week or a payment changes every feature's.
    /// </summary>
    public static (Dictionary<string, FeatureFigures> Features, Dictionary<int, ActivityWeekFigures> Weeks) Delta(
        FeatureActivity before, FeatureActivity after)
    {
        var features = new Dictionary<string, FeatureFigures>(StringComparer.Ordinal);
        var weeks = new Dictionary<int, ActivityWeekFigures>();
        var weeksChanged = !before.ActiveWeeks.AsSpan().SequenceEqual(after.ActiveWeeks);
        var everyFeature = weeksChanged || before.Revenue != after.Revenue;

        for (var i = 0; i < after.Features.Length; i++)
        {
            var feature = after.Features[i];
            var b = Array.BinarySearch(before.Features, feature, StringComparer.Ordinal);
            if (b >= 0 && !everyFeature && before.FirstUse[b] == after.FirstUse[i] && before.Uses[b] == after.Uses[i])
            {
                continue;
            }
            FeatureFigures delta;
            if (b >= 0 && !everyFeature
                && UserModel.WeekOf(UserModel.DayOf(before.FirstUse[b])) == UserModel.WeekOf(UserModel.DayOf(after.FirstUse[i])))
            {
                delta = new FeatureFigures();
                delta.Week(UserModel.WeekOf(UserModel.DayOf(after.FirstUse[i]))).Uses = after.Uses[i] - before.Uses[b];
            }
            else
            {
                delta = ShareOf(after, i);
                if (b >= 0)
                {
                    delta.Add(ShareOf(before, b), -1);
                }
            }
            if (!delta.IsZero)
            {
                features[feature] = delta;
            }
        }
        for (var b = 0; b < before.Features.Length; b++)
        {
            if (Array.BinarySearch(after.Features, before.Features[b], StringComparer.Ordinal) < 0)
            {
                var delta = new FeatureFigures();
                delta.Add(ShareOf(before, b), -1); // the person's share leaves (erasure, or a key merged into a person)
                features[before.Features[b]] = delta;
            }
        }

        if (weeksChanged)
        {
            foreach (var (week, share) in WeeksShareOf(after))
            {
                weeks[week] = share;
            }
            foreach (var (week, share) in WeeksShareOf(before))
            {
                if (!weeks.TryGetValue(week, out var into))
                {
                    weeks[week] = into = new ActivityWeekFigures();
                }
                into.Add(share, -1);
                if (into.IsZero)
                {
                    weeks.Remove(week);
                }
            }
        }
        return (features, weeks);
    }

    private static bool IsActive(FeatureActivity activity, int week) => Array.BinarySearch(activity.ActiveWeeks, week) >= 0;
}
