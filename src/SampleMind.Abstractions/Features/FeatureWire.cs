namespace SampleMind.Features;

/// <summary>
/// Additive figures of one feature in one ISO week: as an adoption week (adopters, their uses, retained adopters, their
/// revenue) and as an activity week (people active in it who had adopted by its end, and those of them active four weeks
/// on: the week's activity less these is its non-adopters).
/// </summary>
[GenerateSerializer, Immutable, Alias("sm.feature-week-totals")]
public sealed record class FeatureWeekTotals(
    [property: Id(0)] long Adopters,
    [property: Id(1)] long Uses,
    [property: Id(2)] long RetainedAdopters,
    [property: Id(3)] decimal AdopterRevenue,
    [property: Id(4)] long ActiveAdopted,
    [property: Id(5)] long RetainedActiveAdopted);

/// <summary>Additive figures of one feature (a pre-aggregated delta or a feature grain's totals), by ISO week (its Monday).</summary>
[GenerateSerializer, Immutable, Alias("sm.feature-totals")]
public sealed record class FeatureTotals
{
    [Id(0)] public Dictionary<DateOnly, FeatureWeekTotals> Weeks { get; init; } = [];
}

/// <summary>Everyone's activity in one ISO week: people with any event in it, and those of them active four weeks on.</summary>
[GenerateSerializer, Immutable, Alias("sm.activity-week-totals")]
public sealed record class ActivityWeekTotals
{
    [Id(0)] public long Active { get; init; }
    [Id(1)] public long Retained { get; init; }
}

/// <summary>One adoption week of a feature, as GET /api/features shows it (docs/feature-analytics.md has the definitions).</summary>
[GenerateSerializer, Immutable, Alias("sm.feature-week-row")]
public sealed record class FeatureWeekRow
{
    /// <summary>The Monday (UTC) of the ISO week of the adopters' first use.</summary>
    [Id(0)] public required DateOnly AdoptionWeek { get; init; }
    /// <summary>People whose first use of the feature falls in the week (null: suppressed).</summary>
    [Id(1)] public required long? Adopters { get; init; }
    /// <summary>All uses of the feature by those adopters, at any time.</summary>
    [Id(2)] public required long? Uses { get; init; }
    /// <summary>Uses per adopter, rounded to 6 decimals.</summary>
    [Id(3)] public required decimal? AverageUsage { get; init; }
    /// <summary>Adopters with any event in the ISO week four weeks after the adoption week.</summary>
    [Id(4)] public required long? RetainedAdopters { get; init; }
    /// <summary>Retained adopters / adopters, rounded to 6 decimals.</summary>
    [Id(5)] public required decimal? Retention { get; init; }
    /// <summary>People active in the week who had not used the feature by its end.</summary>
    [Id(6)] public required long? NonAdopters { get; init; }
    [Id(7)] public required long? RetainedNonAdopters { get; init; }
    /// <summary>Retained non-adopters / non-adopters, rounded to 6 decimals; null without non-adopters.</summary>
    [Id(8)] public required decimal? NonAdopterRetention { get; init; }
    /// <summary>Retention − non-adopters' retention, rounded to 6 decimals; null without non-adopters.</summary>
    [Id(9)] public required decimal? RetentionImpact { get; init; }
    /// <summary>The adopters' payment_succeeded amounts, at any time.</summary>
    [Id(10)] public required decimal? AdopterRevenue { get; init; }
    /// <summary>Adopters × the feature's revenue impact, rounded to 6 decimals (the seed's feature value).</summary>
    [Id(11)] public required decimal? FeatureValue { get; init; }
    /// <summary>Some figures are withheld: a group of fewer people than the small-group threshold (README "Small groups").</summary>
    [Id(12)] public bool Suppressed { get; init; }
}

/// <summary>One feature with its adoption weeks, as GET /api/features shows it.</summary>
[GenerateSerializer, Immutable, Alias("sm.feature-row")]
public sealed record class FeatureRow
{
    /// <summary>The <c>feature</c> property of the <c>feature_used</c> events.</summary>
    [Id(0)] public required string Feature { get; init; }
    /// <summary>Adopters over all weeks (null: suppressed).</summary>
    [Id(1)] public required long? Adopters { get; init; }
    [Id(2)] public required long? Uses { get; init; }
    [Id(3)] public required decimal? AdopterRevenue { get; init; }
    /// <summary>Adopter revenue / adopters over all weeks, rounded to 6 decimals (the seed's revenue_impact).</summary>
    [Id(4)] public required decimal? RevenueImpact { get; init; }
    /// <summary>The adoption weeks, oldest first.</summary>
    [Id(5)] public required FeatureWeekRow[] Weeks { get; init; }
    /// <summary>Some figures are withheld (README "Small groups").</summary>
    [Id(6)] public bool Suppressed { get; init; }
}

/// <summary>One feature's analytics, keyed by the feature name. Fed every flush interval by each silo's pre-aggregator.</summary>
public interface IFeatureGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(FeatureTotals delta, string source, long sequence);

    /// <summary>The feature's row: its adoption weeks with the non-adopters from the activity weeks' grains.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<FeatureRow> GetAsync();

    /// <summary>The additive figures behind the row.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<FeatureTotals> GetTotalsAsync();

    /// <summary>Replaces the figures (reconcile --fix, from the event log).</summary>
    Task ResetAsync(FeatureTotals totals);
}

/// <summary>Everyone's activity in one ISO week, keyed by its Monday "yyyy-MM-dd" (the non-adopters of feature analytics).</summary>
public interface IActivityWeekGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(ActivityWeekTotals delta, string source, long sequence);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<ActivityWeekTotals> GetTotalsAsync();

    /// <summary>Replaces the figures (reconcile --fix, from the event log).</summary>
    Task ResetAsync(ActivityWeekTotals totals);
}
