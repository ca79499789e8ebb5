namespace SampleMind.Analytics.FeatureAnalytics;

/// <summary>
/// Additive figures of one feature in one ISO week: as an adoption week (its adopters, their uses, retained adopters
/// and revenue) and as an activity week (people active in it who had adopted by then, and those of them active four
/// weeks on). The second pair, taken from the week's whole activity (<see cref="ActivityWeekFigures"/>), leaves the
/// week's non-adopters, so every figure is a sum of per-person shares.
/// </summary>
public sealed class FeatureWeekCell
{
    public long Adopters { get; set; }
    public long Uses { get; set; }
    public long RetainedAdopters { get; set; }
    public decimal AdopterRevenue { get; set; }

    /// <summary>People active in the week whose adoption week is this week or earlier.</summary>
    public long ActiveAdopted { get; set; }

    /// <summary>Those of <see cref="ActiveAdopted"/> active in the week four weeks on.</summary>
    public long RetainedActiveAdopted { get; set; }

    public bool IsZero => Adopters == 0 && Uses == 0 && RetainedAdopters == 0 && AdopterRevenue == 0
                          && ActiveAdopted == 0 && RetainedActiveAdopted == 0;

    public void Add(FeatureWeekCell other, int sign = 1)
    {
        Adopters += sign * other.Adopters;
        Uses += sign * other.Uses;
        RetainedAdopters += sign * other.RetainedAdopters;
        AdopterRevenue += sign * other.AdopterRevenue;
        ActiveAdopted += sign * other.ActiveAdopted;
        RetainedActiveAdopted += sign * other.RetainedActiveAdopted;
    }
}

/// <summary>One feature's cells by week (the Monday's day number): a person's share, a delta, or a feature grain's totals.</summary>
public sealed class FeatureFigures
{
    public SortedDictionary<int, FeatureWeekCell> Weeks { get; set; } = [];

    public bool IsZero => Weeks.Values.All(w => w.IsZero);

    public FeatureWeekCell Week(int week) => Weeks.TryGetValue(week, out var cell) ? cell : Weeks[week] = new FeatureWeekCell();

    public void Add(FeatureFigures other, int sign = 1)
    {
        foreach (var (week, cell) in other.Weeks)
        {
            var into = Week(week);
            into.Add(cell, sign);
            if (into.IsZero)
            {
                Weeks.Remove(week);
            }
        }
    }
}

/// <summary>
/// Additive activity of one ISO week over everyone: people with any event in it, and those of them with any event in the
/// week four weeks on.
/// </summary>
public sealed class ActivityWeekFigures
{
    public long Active { get; set; }
    public long Retained { get; set; }

    public bool IsZero => Active == 0 && Retained == 0;

    public void Add(ActivityWeekFigures other, int sign = 1)
    {
        Active += sign * other.Active;
        Retained += sign * other.Retained;
    }
}
