namespace SampleMind.FunnelMetrics;

/// <summary>Additive figures of one funnel: users per step, and per step k ≥ 1 the histogram of the time from step k-1.</summary>
[GenerateSerializer, Immutable, Alias("sm.funnel-totals")]
public sealed record class FunnelTotals
{
    [Id(0)] public long[] StepUsers { get; init; } = [];
    [Id(1)] public long[][] Durations { get; init; } = [];
}

/// <summary>One step of a funnel.</summary>
[GenerateSerializer, Immutable, Alias("sm.funnel-step")]
public sealed record class FunnelStepRow
{
    [Id(0)] public required string Step { get; init; }
    /// <summary>Users who reached the step (null: suppressed).</summary>
    [Id(1)] public required long? Users { get; init; }

    /// <summary>Users at this step / users at the previous step (null for the first step or when the previous has none).</summary>
    [Id(2)] public decimal? Conversion { get; init; }

    /// <summary>The median time from the previous step in seconds: the upper bound of the histogram bucket holding the lower median.</summary>
    [Id(3)] public double? MedianSecondsFromPrevious { get; init; }

    /// <summary>That bucket's bounds in seconds ([lower, upper); null = open).</summary>
    [Id(4)] public double? MedianBucketLowerSeconds { get; init; }
    [Id(5)] public double? MedianBucketUpperSeconds { get; init; }

    /// <summary>The step's figures are withheld (README "Small groups").</summary>
    [Id(6)] public bool Suppressed { get; init; }
}

[GenerateSerializer, Immutable, Alias("sm.funnel-view")]
public sealed record class FunnelView
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required FunnelStepRow[] Steps { get; init; }
}

/// <summary>One funnel, keyed by funnel name (activation, monetization).</summary>
public interface IFunnelGrain : IGrainWithStringKey
{
    /// <summary>Adds a pre-aggregated delta; a repeated (source, sequence) is ignored.</summary>
    Task ApplyAsync(FunnelTotals delta, string source, long sequence);

    /// <summary>The funnel's steps with conversions and median times.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<FunnelView> GetAsync();

    [Orleans.Concurrency.AlwaysInterleave]
    Task<FunnelTotals> GetTotalsAsync();

    /// <summary>Replaces the figures (reconcile --fix).</summary>
    Task ResetAsync(FunnelTotals totals);
}
