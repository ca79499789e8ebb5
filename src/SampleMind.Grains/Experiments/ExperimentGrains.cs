using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Experiments;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Experiments;

[GenerateSerializer, Alias("sm.experiment-state")]
public sealed class ExperimentState
{
    [Id(0)] public ExperimentSpec? Spec { get; set; }
    [Id(1)] public DateTimeOffset? StoppedAt { get; set; }
    [Id(2)] public ExperimentTotals Totals { get; set; } = new(new Dictionary<string, VariantTotals>(StringComparer.Ordinal));
    [Id(3)] public FlushLedger Applied { get; set; } = new();

    /// <summary>Each treatment's always-valid p-value so far (the running minimum over looks).</summary>
    [Id(4)] public Dictionary<string, double> SequentialPValues { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How many looks (applied flushes) the sequential test has taken.</summary>
    [Id(5)] public long Looks { get; set; }
}

/// <summary>
/// One experiment: its definition, its live per-variant sums (fed by the user grains through the pre-aggregators,
/// sequence-deduplicated) and its statistics. Every applied flush is a look of the sequential test.
/// </summary>
public sealed class ExperimentGrain(
    [PersistentState("experiment", "Default")] IPersistentState<ExperimentState> state,
    TimeProvider time,
    ILogger<ExperimentGrain> logger) : Grain, IExperimentGrain
{
    private string Key => this.GetPrimaryKeyString();

    public async Task<ExperimentCreation> CreateAsync(ExperimentSpec spec)
    {
        if (state.State.Spec is { } existing)
        {
            if (!existing.SameAs(spec))
            {
                return ExperimentCreation.Conflict;
            }
            await GrainFactory.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).AddAsync(existing); // idempotent: repairs a create that died half-way
            return ExperimentCreation.Unchanged;
        }
        var started = spec.StartedAt == default ? spec with { StartedAt = time.GetUtcNow() } : spec;
        if (!await GrainFactory.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).AddAsync(started))
        {
            return ExperimentCreation.CatalogueFull;
        }
        state.State.Spec = started;
        await state.WriteStateAsync();
        logger.LogInformation("Experiment {Experiment} started with {Variants} variants, metric {Metric} within {Days} days",
            Key, started.Variants.Length, started.MetricEvent, started.WithinDays);
        return ExperimentCreation.Created;
    }

    public async Task<ExperimentView?> StopAsync()
    {
        if (state.State.Spec is null)
        {
            return null;
        }
        if (state.State.StoppedAt is null)
        {
            state.State.StoppedAt = time.GetUtcNow();
            await state.WriteStateAsync();
            logger.LogInformation("Experiment {Experiment} stopped", Key);
        }
        return View();
    }

    public Task<ExperimentView?> GetAsync() => Task.FromResult(state.State.Spec is null ? null : View());

    public async Task<ExperimentAssignment?> AssignAsync(string userId)
    {
        if (state.State.Spec is not { } spec)
        {
            return null;
        }
        var definition = spec.ToDefinition();
        var user = GrainFactory.GetGrain<IUserGrain>(userId);
        var targeted = spec.Segment is null || (await user.GetRiskAsync())?.Segment == spec.Segment;
        var variant = targeted ? definition.Assign(userId).Name : definition.Control.Name;
        var record = targeted && state.State.StoppedAt is null;
        if (record)
        {
            await user.IngestAsync([Exposure(userId, variant, time.GetUtcNow())]);
        }
        return new ExperimentAssignment(Key, userId, variant, targeted, record);
    }

    /// <summary>The exposure event the assignment records: one messageId per (experiment, person), so it is stored once.</summary>
    private UserEvent Exposure(string userId, string variant, DateTimeOffset at)
    {
        var messageId = ExperimentDefinition.ExposureMessageId(Key, userId);
        var json = new JsonObject
        {
            ["type"] = "track",
            ["messageId"] = messageId,
            ["userId"] = userId,
            ["event"] = EventNames.ExperimentViewed,
            ["timestamp"] = at.ToString("O"),
            ["properties"] = new JsonObject { ["experiment_id"] = Key, ["variation_id"] = variant },
            ["context"] = new JsonObject { ["library"] = new JsonObject { ["name"] = "samplemind-experiments" } },
        };
        return new UserEvent(messageId, "track", EventNames.ExperimentViewed, at, json.ToJsonString());
    }

    public async Task ApplyAsync(ExperimentTotals delta, string source, long sequence)
    {
        if (!state.State.Applied.Accept(source, sequence))
        {
            return;
        }
        var totals = state.State.Totals.ToFigures();
        totals.Add(delta.ToFigures());
        state.State.Totals = totals.ToWire();
        if (state.State.Spec is { } spec)
        {
            Look(spec, totals);
        }
        await this.WriteOrDeactivateAsync(state);
    }

    public Task<ExperimentTotals> GetTotalsAsync() => Task.FromResult(state.State.Totals);

    public async Task ResetAsync(ExperimentTotals totals)
    {
        state.State.Totals = totals;
        await this.WriteOrDeactivateAsync(state);
    }

    /// <summary>One look of the sequential test: each treatment's always-valid p-value takes the new minimum.</summary>
    private void Look(ExperimentSpec spec, ExperimentFigures totals)
    {
        state.State.Looks++;
        var control = totals.Of(spec.Variants[0].Name);
        foreach (var v in spec.Variants.Skip(1))
        {
            var treatment = totals.Of(v.Name);
            var lambda = ExperimentStatistics.MixtureLikelihoodRatio(control.Exposed, control.Conversions, treatment.Exposed, treatment.Conversions);
            state.State.SequentialPValues[v.Name] = ExperimentStatistics.NextSequentialPValue(state.State.SequentialPValues.GetValueOrDefault(v.Name, 1.0), lambda);
        }
    }

    private ExperimentView View()
    {
        var spec = state.State.Spec!;
        var totals = state.State.Totals.ToFigures();
        var control = totals.Of(spec.Variants[0].Name);
        var variants = spec.Variants.Select((v, i) => Result(v, totals.Of(v.Name), i == 0 ? null : control)).ToArray();
        var srm = ExperimentStatistics.SampleRatioPValue([.. spec.Variants.Select(v => totals.Of(v.Name).Exposed)], [.. spec.Variants.Select(v => v.Weight)]);
        return new ExperimentView
        {
            Key = spec.Key,
            Status = state.State.StoppedAt is null ? "running" : "stopped",
            MetricEvent = spec.MetricEvent,
            WithinDays = spec.WithinDays,
            Segment = spec.Segment,
            StartedAt = spec.StartedAt,
            StoppedAt = state.State.StoppedAt,
            Variants = variants,
            SrmPValue = srm,
            SampleRatioMismatch = srm is < ExperimentStatistics.SampleRatioAlarm,
            Winner = Winner(variants),
            Looks = state.State.Looks,
            Elasticity = Elasticities(spec, totals),
            RevenueOptimalPrice = spec.Variants.All(v => v.Price is not null)
                ? variants.Where(v => v.RevenuePerVisitor is not null).MaxBy(v => v.RevenuePerVisitor)?.Price
                : null,
        };
    }

    private VariantResult Result(VariantSpec v, VariantFigures f, VariantFigures? control)
    {
        var result = new VariantResult
        {
            Name = v.Name,
            Weight = v.Weight,
            Price = v.Price,
            Exposed = f.Exposed,
            Conversions = f.Conversions,
            Rate = f.Exposed > 0 ? (double)f.Conversions / f.Exposed : null,
            RevenuePerVisitor = f.Exposed > 0 ? Math.Round(f.Revenue / f.Exposed, 4, MidpointRounding.AwayFromZero) : null,
            Churn = f.Exposed > 0 ? (double)f.Churned / f.Exposed : null,
        };
        if (control is null)
        {
            return result;
        }
        var z = ExperimentStatistics.CompareProportions(control.Exposed, control.Conversions, f.Exposed, f.Conversions);
        var welch = ExperimentStatistics.CompareMeans(control.Exposed, (double)control.Revenue, (double)control.RevenueSquares,
            f.Exposed, (double)f.Revenue, (double)f.RevenueSquares);
        return result with
        {
            Diff = z?.Diff,
            CiLow = z?.CiLow,
            CiHigh = z?.CiHigh,
            Z = z?.Z,
            PValue = z?.PValue,
            SequentialPValue = state.State.SequentialPValues.GetValueOrDefault(v.Name, 1.0),
            RevenueDiff = welch?.Diff,
            RevenueCiLow = welch?.CiLow,
            RevenueCiHigh = welch?.CiHigh,
            RevenuePValue = welch?.PValue,
        };
    }

    /// <summary>
    /// The winner only when the sequential test says so: the best-converting treatment whose always-valid p-value is
    /// below 0.05 with a positive difference; the control when every treatment is significantly worse; else none.
    /// </summary>
    private static string? Winner(VariantResult[] variants)
    {
        var treatments = variants.Skip(1).ToArray();
        var better = treatments.Where(t => t.SequentialPValue < 0.05 && t.Diff > 0).MaxBy(t => t.Rate);
        if (better is not null)
        {
            return better.Name;
        }
        return treatments.Length > 0 && treatments.All(t => t.SequentialPValue < 0.05 && t.Diff < 0) ? variants[0].Name : null;
    }

    private static PriceElasticity[] Elasticities(ExperimentSpec spec, ExperimentFigures totals)
    {
        if (!spec.Variants.All(v => v.Price is not null))
        {
            return [];
        }
        var byPrice = spec.Variants.OrderBy(v => v.Price).ToArray();
        var result = new List<PriceElasticity>();
        for (var i = 1; i < byPrice.Length; i++)
        {
            var (a, b) = (totals.Of(byPrice[i - 1].Name), totals.Of(byPrice[i].Name));
            if (PriceElasticityMath.Arc(byPrice[i - 1].Price!.Value, a.Exposed, a.Conversions, byPrice[i].Price!.Value, b.Exposed, b.Conversions) is { } e)
            {
                result.Add(new PriceElasticity(byPrice[i - 1].Price!.Value, byPrice[i].Price!.Value, e.Elasticity, e.CiLow, e.CiHigh));
            }
        }
        return [.. result];
    }
}

[GenerateSerializer, Alias("sm.experiment-catalog-state")]
public sealed class ExperimentCatalogState
{
    [Id(0)] public Dictionary<string, ExperimentSpec> Specs { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public long Version { get; set; }
}

/// <summary>Every experiment's definition, versioned; silos keep a copy (<see cref="ExperimentDefinitions"/>).</summary>
public sealed class ExperimentCatalogGrain(
    [PersistentState("experiment-catalog", "Default")] IPersistentState<ExperimentCatalogState> state) : Grain, IExperimentCatalogGrain
{
    public async Task<bool> AddAsync(ExperimentSpec spec)
    {
        if (state.State.Specs.TryGetValue(spec.Key, out var existing) && existing.SameAs(spec) && existing.StartedAt == spec.StartedAt)
        {
            return true;
        }
        if (existing is null && state.State.Specs.Count >= IExperimentCatalogGrain.MaxExperiments)
        {
            return false;
        }
        state.State.Specs[spec.Key] = spec;
        state.State.Version++;
        await state.WriteStateAsync();
        return true;
    }

    public Task<(long Version, ExperimentSpec[] Specs)?> ChangedSinceAsync(long knownVersion)
        => Task.FromResult<(long, ExperimentSpec[])?>(knownVersion == state.State.Version && knownVersion > 0
            ? null
            : (state.State.Version, [.. state.State.Specs.Values.OrderBy(s => s.Key, StringComparer.Ordinal)]));
}
