using SampleMind.Analytics.Experiments;

namespace SampleMind.Experiments;

/// <summary>Between the wire records and the analytics types.</summary>
public static class ExperimentMapping
{
    public static ExperimentDefinition ToDefinition(this ExperimentSpec spec)
        => new(spec.Key, [.. spec.Variants.Select(v => new VariantDefinition(v.Name, v.Weight, v.Price))],
            new ExperimentMetric(spec.MetricEvent, spec.WithinDays), spec.Segment) { StartedAt = spec.StartedAt };

    public static ExperimentTotals ToWire(this ExperimentFigures figures)
        => new(figures.Variants.ToDictionary(v => v.Key, v => v.Value.ToWire(), StringComparer.Ordinal));

    public static VariantTotals ToWire(this VariantFigures f) => new(f.Exposed, f.Conversions, f.Churned, f.Revenue, f.RevenueSquares);

    public static ExperimentFigures ToFigures(this ExperimentTotals totals)
    {
        var figures = new ExperimentFigures();
        foreach (var (name, t) in totals.Variants)
        {
            figures.Add(name, new VariantFigures { Exposed = t.Exposed, Conversions = t.Conversions, Churned = t.Churned, Revenue = t.Revenue, RevenueSquares = t.RevenueSquares });
        }
        return figures;
    }
}
