namespace SampleMind.Cohorts;

/// <summary>Users with a payment in one month since signup, and their revenue.</summary>
[GenerateSerializer, Immutable, Alias("sm.cohort-month-totals")]
public sealed record class CohortMonthTotals(
    [property: Id(0)] int Users,
    [property: Id(1)] decimal Revenue);

/// <summary>Additive figures of one signup-month cohort (a pre-aggregated delta or a cohort grain's totals).</summary>
[GenerateSerializer, Immutable, Alias("sm.cohort-totals")]
public sealed record class CohortTotals
{
    [Id(0)] public int Size { get; init; }
    /// <summary>Months since signup → figures.</summary>
    [Id(1)] public Dictionary<int, CohortMonthTotals> Months { get; init; } = [];
}

/// <summary>One months-since-signup row of a cohort.</summary>
[GenerateSerializer, Immutable, Alias("sm.cohort-month-row")]
public sealed record class CohortMonthRow
{
    /// <summary>Calendar months from the signup month to the payment month (UTC).</summary>
    [Id(0)] public required int MonthsSinceSignup { get; init; }
    /// <summary>Users of the cohort with at least one payment_succeeded in that month (null: suppressed).</summary>
    [Id(1)] public required int? Users { get; init; }
    [Id(2)] public required decimal? TotalRevenue { get; init; }
    /// <summary>Total revenue / users (the seed's revenue_per_user).</summary>
    [Id(3)] public decimal? RevenuePerUser { get; init; }
    /// <summary>The figures are withheld: a group of fewer people than the small-group threshold (README "Small groups").</summary>
    [Id(4)] public bool Suppressed { get; init; }
}

/// <summary>One signup-month cohort, as GET /api/cohorts shows it.</summary>
[GenerateSerializer, Immutable, Alias("sm.cohort-row")]
public sealed record class CohortRow
{
    /// <summary>The UTC signup month, "yyyy-MM".</summary>
    [Id(0)] public required string Cohort { get; init; }
    /// <summary>Users who signed up in the month (null: suppressed).</summary>
    [Id(1)] public required int? Size { get; init; }
    [Id(2)] public required CohortMonthRow[] Months { get; init; }
    /// <summary>The cohort is smaller than the small-group threshold: its size and months are withheld.</summary>
    [Id(3)] public bool Suppressed { get; init; }
}

/// <summary>One signup-month cohort, keyed "yyyy-MM". Fed every flush interval (500 ms) by each silo's pre-aggregator.</summary>
public interface ICohortGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(CohortTotals delta, string source, long sequence);

    /// <summary>The cohort's size and month rows.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CohortRow> GetAsync();

    /// <summary>The additive figures behind the row.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<CohortTotals> GetTotalsAsync();

    /// <summary>Replaces the figures (reconcile --fix, from the event log).</summary>
    Task ResetAsync(CohortTotals totals);
}
