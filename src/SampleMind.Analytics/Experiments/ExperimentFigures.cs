using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Experiments;

/// <summary>
/// One variant's sums: exposed people, conversions, churned people, and the revenue per exposed person as a sum and a
/// sum of squares (what Welch's t-test needs). Exact decimals, so a person's share can be subtracted and added again.
/// </summary>
public sealed class VariantFigures
{
    public long Exposed { get; set; }
    public long Conversions { get; set; }
    public long Churned { get; set; }
    public decimal Revenue { get; set; }
    public decimal RevenueSquares { get; set; }

    public bool IsZero => Exposed == 0 && Conversions == 0 && Churned == 0 && Revenue == 0m && RevenueSquares == 0m;

    public void Add(VariantFigures other, int sign = 1)
    {
        Exposed += sign * other.Exposed;
        Conversions += sign * other.Conversions;
        Churned += sign * other.Churned;
        Revenue += sign * other.Revenue;
        RevenueSquares += sign * other.RevenueSquares;
    }

    public VariantFigures Copy() => new() { Exposed = Exposed, Conversions = Conversions, Churned = Churned, Revenue = Revenue, RevenueSquares = RevenueSquares };
}

/// <summary>An experiment's figures per variant (a delta from user grains, or an experiment grain's totals).</summary>
public sealed class ExperimentFigures
{
    public Dictionary<string, VariantFigures> Variants { get; } = new(StringComparer.Ordinal);

    public bool IsZero => Variants.Values.All(v => v.IsZero);

    public void Add(ExperimentFigures other, int sign = 1)
    {
        foreach (var (name, figures) in other.Variants)
        {
            Add(name, figures, sign);
        }
    }

    public void Add(string variant, VariantFigures figures, int sign = 1)
    {
        if (!Variants.TryGetValue(variant, out var into))
        {
            Variants[variant] = into = new VariantFigures();
        }
        into.Add(figures, sign);
    }

    public VariantFigures Of(string variant) => Variants.TryGetValue(variant, out var v) ? v : new VariantFigures();

    /// <summary>
    /// One person's share of <paramref name="experiment"/>, or null when they were never exposed to one of its variants
    /// (at or after its start).
    /// Their first exposure (earliest timestamp, then messageId) opens a window of <c>metric.withinDays</c> days: they
    /// convert when their first-ever metric event falls inside it, churn when a <c>subscription_canceled</c> does, and
    /// their revenue is the sum of the payments inside it. Depends on events only, never on the clock, so replay, any
    /// arrival order and the live grains agree.
    /// </summary>
    public static (string Variant, VariantFigures Share)? ShareOf(UserModel model, ExperimentDefinition experiment)
    {
        if (model.ExposureTo(experiment.Key) is not { } exposure || !experiment.HasVariant(exposure.Variant)
            || exposure.AtTicks < experiment.StartedAt.UtcTicks)
        {
            return null;
        }
        var from = exposure.AtTicks;
        var to = from + TimeSpan.FromDays(experiment.Metric.WithinDays).Ticks;
        var converted = ExperimentMetrics.FirstAt(model, experiment.Metric.Event) is { } first && first.UtcTicks >= from && first.UtcTicks <= to;
        var churned = false;
        foreach (var at in model.CancellationTicks)
        {
            churned |= at >= from && at <= to;
        }
        var revenue = 0m;
        foreach (var payment in model.Payments)
        {
            if (payment.AtTicks >= from && payment.AtTicks <= to)
            {
                revenue += payment.Amount;
            }
        }
        return (exposure.Variant, new VariantFigures
        {
            Exposed = 1,
            Conversions = converted ? 1 : 0,
            Churned = churned ? 1 : 0,
            Revenue = revenue,
            RevenueSquares = revenue * revenue,
        });
    }

    /// <summary>After minus before, per variant (a person may move between variants only through an earlier exposure arriving late).</summary>
    public static ExperimentFigures Difference((string Variant, VariantFigures Share)? before, (string Variant, VariantFigures Share)? after)
    {
        var delta = new ExperimentFigures();
        if (before is { } b)
        {
            delta.Add(b.Variant, b.Share, -1);
        }
        if (after is { } a)
        {
            delta.Add(a.Variant, a.Share);
        }
        return delta;
    }
}
