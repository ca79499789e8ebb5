namespace SampleMind.Revenue;

/// <summary>Additive MRR movement figures of one UTC day (contraction and churn negative).</summary>
[GenerateSerializer, Immutable, Alias("sm.mrr-day-totals")]
public sealed record class MrrDayTotals
{
    [Id(0)] public decimal New { get; init; }
    [Id(1)] public decimal Expansion { get; init; }
    [Id(2)] public decimal Contraction { get; init; }
    [Id(3)] public decimal Churn { get; init; }
    [Id(4)] public decimal Reactivation { get; init; }
    [Id(5)] public int NewCustomers { get; init; }
    [Id(6)] public int ReactivatedCustomers { get; init; }
    [Id(7)] public int ChurnedCustomers { get; init; }
}

/// <summary>The movements of the days of one UTC month (a pre-aggregated delta or a month grain's totals).</summary>
[GenerateSerializer, Immutable, Alias("sm.mrr-month-totals")]
public sealed record class MrrMonthTotals
{
    /// <summary>Day number (<see cref="DateOnly.DayNumber"/>) → the day's movements.</summary>
    [Id(0)] public Dictionary<int, MrrDayTotals> Days { get; init; } = [];
}

/// <summary>One day of GET /api/revenue/mrr: the day's movements and MRR and paying customers at the end of the day.</summary>
[GenerateSerializer, Immutable, Alias("sm.mrr-row")]
public sealed record class MrrRow(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] decimal Mrr,
    [property: Id(2)] decimal New,
    [property: Id(3)] decimal Expansion,
    [property: Id(4)] decimal Contraction,
    [property: Id(5)] decimal Churn,
    [property: Id(6)] decimal Reactivation,
    [property: Id(7)] decimal Net,
    [property: Id(8)] int Customers);

/// <summary>The MRR movements of one UTC month, keyed "yyyy-MM", fed by each silo's MRR pre-aggregator.</summary>
public interface IMrrMonthGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(MrrMonthTotals delta, string source, long sequence);

    /// <summary>The month's movements per day.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<MrrMonthTotals> GetTotalsAsync();

    /// <summary>Replaces the figures (reconcile --fix, from the stored Stripe events).</summary>
    Task ResetAsync(MrrMonthTotals totals);
}
