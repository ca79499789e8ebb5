namespace SampleMind.Experiments;

[GenerateSerializer, Immutable, Alias("sm.experiment-variant-spec")]
public sealed record class VariantSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] double Weight,
    [property: Id(2)] decimal? Price);

/// <summary>An experiment as created through the API; the first variant is the control.</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-spec")]
public sealed record class ExperimentSpec(
    [property: Id(0)] string Key,
    [property: Id(1)] VariantSpec[] Variants,
    [property: Id(2)] string MetricEvent,
    [property: Id(3)] int WithinDays,
    [property: Id(4)] string? Segment)
{
    /// <summary>When the experiment was created: exposures before it are not counted.</summary>
    [Id(5)] public DateTimeOffset StartedAt { get; init; }

    /// <summary>Equal in what a client can send (not the start time): a repeated POST of the same body is not a conflict.</summary>
    public bool SameAs(ExperimentSpec other)
        => Key == other.Key && MetricEvent == other.MetricEvent && WithinDays == other.WithinDays && Segment == other.Segment
           && Variants.SequenceEqual(other.Variants);
}

/// <summary>One variant's sums (see SampleMind.Analytics.Experiments.VariantFigures).</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-variant-totals")]
public sealed record class VariantTotals(
    [property: Id(0)] long Exposed,
    [property: Id(1)] long Conversions,
    [property: Id(2)] long Churned,
    [property: Id(3)] decimal Revenue,
    [property: Id(4)] decimal RevenueSquares);

/// <summary>Per-variant sums: a delta from a pre-aggregator or an experiment's totals.</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-totals")]
public sealed record class ExperimentTotals([property: Id(0)] Dictionary<string, VariantTotals> Variants);

/// <summary>One variant's live results (contract of GET /api/experiments/{key}; the control has no diff, interval, z or p).</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-variant-view")]
public sealed record class VariantResult
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required double Weight { get; init; }
    [Id(2)] public decimal? Price { get; init; }
    [Id(3)] public required long? Exposed { get; init; }
    [Id(4)] public required long? Conversions { get; init; }
    [Id(5)] public required double? Rate { get; init; }
    [Id(6)] public required decimal? RevenuePerVisitor { get; init; }
    [Id(7)] public required double? Churn { get; init; }
    [Id(8)] public double? Diff { get; init; }
    [Id(9)] public double? CiLow { get; init; }
    [Id(10)] public double? CiHigh { get; init; }
    [Id(11)] public double? Z { get; init; }
    [Id(12)] public double? PValue { get; init; }
    [Id(13)] public double? SequentialPValue { get; init; }
    [Id(14)] public double? RevenueDiff { get; init; }
    [Id(15)] public double? RevenueCiLow { get; init; }
    [Id(16)] public double? RevenueCiHigh { get; init; }
    [Id(17)] public double? RevenuePValue { get; init; }
    /// <summary>Some figures are withheld (null) because they cover fewer people than the small-group threshold.</summary>
    [Id(18)] public bool Suppressed { get; init; }
}

/// <summary>An experiment's live results.</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-view")]
public sealed record class ExperimentView
{
    [Id(0)] public required string Key { get; init; }
    [Id(1)] public required string Status { get; init; }
    [Id(2)] public required string MetricEvent { get; init; }
    [Id(3)] public required int WithinDays { get; init; }
    [Id(4)] public string? Segment { get; init; }
    [Id(5)] public required DateTimeOffset StartedAt { get; init; }
    [Id(6)] public DateTimeOffset? StoppedAt { get; init; }
    [Id(7)] public required VariantResult[] Variants { get; init; }
    [Id(8)] public double? SrmPValue { get; init; }
    [Id(9)] public required bool SampleRatioMismatch { get; init; }
    [Id(10)] public string? Winner { get; init; }
    [Id(11)] public required long Looks { get; init; }
    [Id(12)] public PriceElasticity[] Elasticity { get; init; } = [];
    [Id(13)] public decimal? RevenueOptimalPrice { get; init; }
}

/// <summary>Arc elasticity of conversion between two tested prices, with a 95 % interval (delta method).</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-elasticity")]
public sealed record class PriceElasticity(
    [property: Id(0)] decimal FromPrice,
    [property: Id(1)] decimal ToPrice,
    [property: Id(2)] double Elasticity,
    [property: Id(3)] double CiLow,
    [property: Id(4)] double CiHigh);

/// <summary>The answer of the assignment endpoint.</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-assignment")]
public sealed record class ExperimentAssignment(
    [property: Id(0)] string Experiment,
    [property: Id(1)] string UserId,
    [property: Id(2)] string Variant,
    [property: Id(3)] bool InExperiment,
    [property: Id(4)] bool ExposureRecorded);

public enum ExperimentCreation
{
    Created,
    Unchanged,
    Conflict,
    CatalogueFull,
}

/// <summary>One experiment: its definition, its status and its live per-variant results.</summary>
[Alias("sm.experiment")]
public interface IExperimentGrain : IGrainWithStringKey
{
    [Alias("create")] Task<ExperimentCreation> CreateAsync(ExperimentSpec spec);

    [Alias("stop")] Task<ExperimentView?> StopAsync();

    [Alias("get")] Task<ExperimentView?> GetAsync();

    /// <summary>The person's variant; records their exposure once while the experiment runs and targets them. Null: no such experiment.</summary>
    [Alias("assign")] Task<ExperimentAssignment?> AssignAsync(string userId);

    /// <summary>Adds a pre-aggregator's delta once per (source, sequence).</summary>
    [Alias("apply")] Task ApplyAsync(ExperimentTotals delta, string source, long sequence);

    [Alias("totals")] Task<ExperimentTotals> GetTotalsAsync();

    /// <summary>reconcile --fix: replaces the totals (the sequential p-values keep their running minimum).</summary>
    [Alias("reset")] Task ResetAsync(ExperimentTotals totals);
}

/// <summary>Every experiment's definition, with a version so silos refresh only on change.</summary>
[Alias("sm.experiment-catalog")]
public interface IExperimentCatalogGrain : IGrainWithStringKey
{
    public const string Key = "all";

    public const int MaxExperiments = 1_000;

    /// <summary>False when the catalogue is full.</summary>
    [Alias("add")] Task<bool> AddAsync(ExperimentSpec spec);

    /// <summary>Null when <paramref name="knownVersion"/> is current; else the version and every definition.</summary>
    [Alias("changed-since")] Task<(long Version, ExperimentSpec[] Specs)?> ChangedSinceAsync(long knownVersion);
}
