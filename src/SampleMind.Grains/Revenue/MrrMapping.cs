using System.Globalization;
using SampleMind.Analytics.Revenue;

namespace SampleMind.Revenue;

/// <summary>Between the analytics figures and their wire form, and the month key of a day.</summary>
public static class MrrMapping
{
    public static string MonthOf(int day) => DateOnly.FromDayNumber(day).ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static MrrDayTotals ToWire(this MrrDayFigures f) => new()
    {
        New = f.New, Expansion = f.Expansion, Contraction = f.Contraction, Churn = f.Churn, Reactivation = f.Reactivation,
        NewCustomers = f.NewCustomers, ReactivatedCustomers = f.ReactivatedCustomers, ChurnedCustomers = f.ChurnedCustomers,
    };

    public static MrrDayFigures ToFigures(this MrrDayTotals t) => new()
    {
        New = t.New, Expansion = t.Expansion, Contraction = t.Contraction, Churn = t.Churn, Reactivation = t.Reactivation,
        NewCustomers = t.NewCustomers, ReactivatedCustomers = t.ReactivatedCustomers, ChurnedCustomers = t.ChurnedCustomers,
    };

    public static MrrMonthTotals ToWire(this MrrMonthFigures f)
        => new() { Days = f.Days.Where(p => !p.Value.IsZero).ToDictionary(p => p.Key, p => p.Value.ToWire()) };

    public static MrrMonthFigures ToFigures(this MrrMonthTotals t)
    {
        var f = new MrrMonthFigures();
        foreach (var (day, totals) in t.Days)
        {
            f.Days[day] = totals.ToFigures();
        }
        return f;
    }

    public static MrrRow ToWire(this MrrDayRowValues v)
        => new(v.Date, v.Mrr, v.New, v.Expansion, v.Contraction, v.Churn, v.Reactivation, v.Net, v.Customers);
}

/// <summary>A month's movements per day, mutable and additive (the pre-aggregator's delta).</summary>
public sealed class MrrMonthFigures
{
    public Dictionary<int, MrrDayFigures> Days { get; } = [];

    public bool IsZero => Days.Values.All(d => d.IsZero);

    public void Add(MrrMonthFigures other)
    {
        foreach (var (day, figures) in other.Days)
        {
            Add(day, figures);
        }
    }

    public void Add(int day, MrrDayFigures figures)
    {
        if (!Days.TryGetValue(day, out var into))
        {
            Days[day] = into = new MrrDayFigures();
        }
        into.Add(figures);
    }
}
