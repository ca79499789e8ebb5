using SampleMind.Analytics.Cohorts;

namespace SampleMind.Cohorts;

/// <summary>Between the analytics figures and their wire form.</summary>
public static class CohortMapping
{
    public static CohortTotals ToWire(this CohortFigures f) => new()
    {
        Size = f.Size,
        Months = f.Months.ToDictionary(p => p.Key, p => new CohortMonthTotals(p.Value.Users, p.Value.Revenue)),
    };

    public static CohortFigures ToFigures(this CohortTotals t)
    {
        var f = new CohortFigures { Size = t.Size };
        foreach (var (offset, month) in t.Months)
        {
            f.Months[offset] = new CohortMonthFigures { Users = month.Users, Revenue = month.Revenue };
        }
        return f;
    }

    public static CohortRow ToRow(this CohortFigures f, string cohort) => new()
    {
        Cohort = cohort,
        Size = f.Size,
        Months = [.. f.Months.Select(p => CohortMonthValues.From(p.Key, p.Value)).Select(v => new CohortMonthRow
        {
            MonthsSinceSignup = v.MonthsSinceSignup,
            Users = v.Users,
            TotalRevenue = v.TotalRevenue,
            RevenuePerUser = v.RevenuePerUser,
        })],
    };
}
