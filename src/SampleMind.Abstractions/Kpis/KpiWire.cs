namespace SampleMind.Kpis;

/// <summary>
/// Additive KPI figures of one UTC day (a delta from a silo's pre-aggregator, or a day grain's totals): counts and
/// exact decimal sums; the KPI row's averages and ratios are derived from them.
/// </summary>
[GenerateSerializer, Immutable, Alias("sm.kpi-day-figures")]
public sealed record class KpiDayTotals
{
    [Id(0)] public int Dau { get; init; }
    [Id(1)] public int Wap { get; init; }
    [Id(2)] public int NewSignups { get; init; }
    [Id(3)] public int Sessions { get; init; }
    [Id(4)] public long SessionSeconds { get; init; }
    [Id(5)] public decimal Revenue { get; init; }
    [Id(6)] public int Payments { get; init; }
    [Id(7)] public int PayingCustomers { get; init; }
    [Id(8)] public int Analyses { get; init; }
    [Id(9)] public decimal ProcessingTimeSum { get; init; }
    [Id(10)] public int ProcessingTimeCount { get; init; }
    [Id(11)] public decimal AccuracySum { get; init; }
    [Id(12)] public int AccuracyCount { get; init; }
    [Id(13)] public Dictionary<string, int> FeatureUsers { get; init; } = [];

    /// <summary>People who signed up this day, per whole seconds from signup to their first analysis.</summary>
    [Id(14)] public Dictionary<long, int> TtfvSeconds { get; init; } = [];

    /// <summary>Sum and count of the day's <c>analysis_feedback</c> ratings (1–5).</summary>
    [Id(15)] public decimal RatingSum { get; init; }
    [Id(16)] public int RatingCount { get; init; }
}

/// <summary>The seed's KPI day row (the <c>kpi_dashboard</c> view), live.</summary>
[GenerateSerializer, Immutable, Alias("sm.kpi-day-row")]
public sealed record class KpiDayRow
{
    [Id(0)] public required DateOnly Date { get; init; }
    [Id(1)] public required int Dau { get; init; }
    [Id(2)] public required int Wap { get; init; }
    [Id(3)] public required int NewSignups { get; init; }
    [Id(4)] public decimal? AvgSessionLength { get; init; }
    [Id(5)] public required decimal DailyRevenue { get; init; }
    [Id(6)] public required int PayingCustomers { get; init; }
    [Id(7)] public decimal? AverageTransaction { get; init; }
    [Id(8)] public decimal? Arpu { get; init; }
    [Id(9)] public required int TotalAnalyses { get; init; }
    [Id(10)] public decimal? AvgProcessingTime { get; init; }
    [Id(11)] public decimal? AvgAccuracy { get; init; }
    [Id(12)] public required int FeaturesAdopted { get; init; }
    [Id(13)] public decimal? ConversionRate { get; init; }
    [Id(14)] public decimal? WapRatio { get; init; }
    [Id(15)] public decimal? RevenuePerSignup { get; init; }

    /// <summary>People who signed up this day and have completed an analysis.</summary>
    [Id(16)] public int TtfvPeople { get; init; }

    /// <summary>Median Time to First Value of this signup day, in seconds (nearest rank, as <c>percentile_disc</c>).</summary>
    [Id(17)] public long? TtfvMedianSeconds { get; init; }

    /// <summary>90th percentile Time to First Value of this signup day, in seconds (nearest rank).</summary>
    [Id(18)] public long? TtfvP90Seconds { get; init; }

    /// <summary>Rated <c>analysis_feedback</c> events of the day.</summary>
    [Id(19)] public int Ratings { get; init; }

    /// <summary>The AI Analysis Quality Score: the day's mean feedback rating (5-point), null without ratings.</summary>
    [Id(20)] public decimal? QualityScore { get; init; }
}

/// <summary>WAP (distinct users with ≥ 5 analyses) of one ISO week.</summary>
[GenerateSerializer, Immutable, Alias("sm.kpi-week-row")]
public sealed record class KpiWeekRow(
    [property: Id(0)] string Week,
    [property: Id(1)] int Wap);

/// <summary>The KPI figures of one UTC day, keyed "yyyy-MM-dd". Fed every flush interval (500 ms) by each silo's pre-aggregator.</summary>
public interface IKpiDayGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(KpiDayTotals delta, string source, long sequence);

    /// <summary>The day's row with its derived averages and ratios.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<KpiDayRow> GetAsync();

    /// <summary>The additive figures behind the row.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<KpiDayTotals> GetTotalsAsync();

    /// <summary>Replaces the figures (reconcile --fix, from the event log).</summary>
    Task ResetAsync(KpiDayTotals totals);
}

/// <summary>WAP of one ISO week, keyed "yyyy-Www".</summary>
public interface IKpiWeekGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated WAP delta; a repeated (source, sequence) is ignored.</summary>
    Task ApplyAsync(int wapDelta, string source, long sequence);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<KpiWeekRow> GetAsync();

    /// <summary>Replaces the week's WAP (reconcile --fix).</summary>
    Task ResetAsync(int wap);
}
