using SampleMind.Campaigns;
using SampleMind.Cohorts;
using SampleMind.Experiments;
using SampleMind.Features;
using SampleMind.FunnelMetrics;
using SampleMind.Segments;

namespace SampleMind.ClientApi.Privacy;

/// <summary>
/// The aggregation threshold (README "Small groups"): for a non-admin key, a figure over a group of 1 to k-1 people
/// (k = <see cref="PrivacyOptions.MinGroupSize"/>) is answered as null with <c>suppressed: true</c>, together with every
/// figure of the same answer it could be recomputed from (ratios over it, its complement in a known total, the differences
/// it enters). A group of nobody (0) is shown. Admin keys see every figure.
/// </summary>
public sealed class SmallGroups(int minGroupSize)
{
    /// <summary>Whether <paramref name="people"/> is a group too small to show (1 ≤ n &lt; k).</summary>
    public bool IsSmall(long? people) => people is > 0 && people < minGroupSize;

    /// <summary>A cohort under k: size and months withheld; a month with 1 to k-1 payers: its figures withheld.</summary>
    public CohortRow Cohort(CohortRow row)
    {
        if (IsSmall(row.Size))
        {
            return row with { Size = null, Months = [], Suppressed = true };
        }
        var months = row.Months.Select(m => IsSmall(m.Users)
            ? m with { Users = null, TotalRevenue = null, RevenuePerUser = null, Suppressed = true }
            : m).ToArray();
        return row with { Months = months, Suppressed = months.Any(m => m.Suppressed) };
    }

    /// <summary>
    /// A feature of 1 to k-1 adopters: every figure withheld. Per adoption week: adopters 1 to k-1 → the week's figures
    /// withheld, and the feature's totals (a withheld week is the totals less the shown ones); retained or not retained
    /// adopters 1 to k-1 → retention withheld; non-adopters, or retained or not retained ones, 1 to k-1 → their figures
    /// withheld; the retention impact with either retention (it is their difference).
    /// </summary>
    public FeatureRow Feature(FeatureRow row)
    {
        if (IsSmall(row.Adopters))
        {
            return row with { Adopters = null, Uses = null, AdopterRevenue = null, RevenueImpact = null, Weeks = [], Suppressed = true };
        }
        var weeks = row.Weeks.Select(FeatureWeek).ToArray();
        var result = row with { Weeks = weeks, Suppressed = weeks.Any(w => w.Suppressed) };
        return weeks.Any(w => w.Adopters is null) ? result with { Adopters = null, Uses = null, AdopterRevenue = null } : result;
    }

    private FeatureWeekRow FeatureWeek(FeatureWeekRow w)
    {
        if (IsSmall(w.Adopters))
        {
            return w with
            {
                Adopters = null, Uses = null, AverageUsage = null, RetainedAdopters = null, Retention = null, NonAdopters = null,
                RetainedNonAdopters = null, NonAdopterRetention = null, RetentionImpact = null, AdopterRevenue = null,
                FeatureValue = null, Suppressed = true,
            };
        }
        var result = w;
        if (IsSmall(w.RetainedAdopters) || IsSmall(w.Adopters - w.RetainedAdopters))
        {
            result = result with { RetainedAdopters = null, Retention = null, RetentionImpact = null, Suppressed = true };
        }
        if (IsSmall(w.NonAdopters))
        {
            result = result with
            {
                NonAdopters = null, RetainedNonAdopters = null, NonAdopterRetention = null, RetentionImpact = null, Suppressed = true,
            };
        }
        else if (IsSmall(w.RetainedNonAdopters) || IsSmall(w.NonAdopters - w.RetainedNonAdopters))
        {
            result = result with { RetainedNonAdopters = null, NonAdopterRetention = null, RetentionImpact = null, Suppressed = true };
        }
        return result;
    }

    /// <summary>
    /// Per day: a segment count of 1 to k-1 is withheld, and when it is the day's only one, the smallest other non-zero
    /// count too (the counts add up to everyone). Moves between segments join counts of two days, so a day's moves are
    /// all withheld when any of its moves is small, when a count of that day is withheld, or one of the day before.
    /// </summary>
    public SegmentDayRow[] SegmentDays(SegmentDayRow[] rows)
    {
        var result = new SegmentDayRow[rows.Length];
        var previousWithheld = false;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var withheld = row.Counts.Where(c => IsSmall(c.Value)).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
            if (withheld.Count == 1
                && row.Counts.Where(c => !withheld.Contains(c.Key) && c.Value > 0).OrderBy(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                    .Select(c => c.Key).FirstOrDefault() is { } complement)
            {
                withheld.Add(complement);
            }
            // Rows are consecutive days (the grain answers every day of the range).
            var dayBeforeWithheld = i > 0 && previousWithheld && rows[i - 1].Date.AddDays(1) == row.Date;
            var movesWithheld = withheld.Count > 0 || dayBeforeWithheld || row.Transitions.Any(m => IsSmall(m.Users));
            result[i] = row with
            {
                Counts = row.Counts.ToDictionary(c => c.Key, c => withheld.Contains(c.Key) ? null : c.Value, StringComparer.Ordinal),
                Transitions = movesWithheld ? [.. row.Transitions.Select(m => m with { Users = null })] : row.Transitions,
                Suppressed = movesWithheld,
            };
            previousWithheld = withheld.Count > 0;
        }
        return result;
    }

    /// <summary>A step reached by 1 to k-1 people: its users, conversion and median time withheld, and the next step's conversion.</summary>
    public FunnelView Funnel(FunnelView view)
    {
        var steps = new FunnelStepRow[view.Steps.Length];
        for (var i = 0; i < steps.Length; i++)
        {
            var step = view.Steps[i];
            if (IsSmall(step.Users))
            {
                steps[i] = step with
                {
                    Users = null, Conversion = null, MedianSecondsFromPrevious = null,
                    MedianBucketLowerSeconds = null, MedianBucketUpperSeconds = null, Suppressed = true,
                };
            }
            else
            {
                steps[i] = i > 0 && steps[i - 1].Suppressed ? step with { Conversion = null, Suppressed = true } : step;
            }
        }
        return view with { Steps = steps };
    }

    /// <summary>
    /// A campaign of 1 to k-1 attributed people: every person figure withheld (spend stays). Otherwise signups withheld
    /// when they or the people who did not sign up are 1 to k-1; conversions, and revenue, CAC, LTV and ROI that divide
    /// by or add up over the payers, likewise.
    /// </summary>
    public CampaignView Campaign(CampaignView view)
    {
        if (IsSmall(view.Users))
        {
            return view with
            {
                Users = null, Signups = null, Conversions = null, Revenue = null, Cac = null, Ltv = null, Roi = null, Suppressed = true,
            };
        }
        var result = view;
        if (IsSmall(view.Signups) || IsSmall(view.Users - view.Signups))
        {
            result = result with { Signups = null, Suppressed = true };
        }
        if (IsSmall(view.Conversions) || IsSmall(view.Users - view.Conversions))
        {
            result = result with { Conversions = null, Revenue = null, Cac = null, Ltv = null, Roi = null, Suppressed = true };
        }
        return result;
    }

    /// <summary>
    /// Per variant: exposed 1 to k-1 → every figure withheld; conversions or non-converters 1 to k-1 → conversions, rate,
    /// revenue per visitor and the comparisons withheld; churned or retained 1 to k-1 → churn withheld. When the control's
    /// conversions are withheld, every variant's comparison is (they are differences from it). Any withheld exposure
    /// withholds the sample-ratio p-value; elasticities and the revenue-optimal price over a withheld variant are dropped.
    /// </summary>
    public ExperimentView Experiment(ExperimentView view, ExperimentTotals totals)
    {
        var variants = view.Variants.Select(v => Variant(v, totals.Variants.GetValueOrDefault(v.Name))).ToArray();
        if (variants.Length > 0 && variants[0].Conversions is null)
        {
            variants = [variants[0], .. variants.Skip(1).Select(WithoutComparison)];
        }
        var withheld = variants.Where(v => v.Conversions is null && (totals.Variants.GetValueOrDefault(v.Name)?.Exposed ?? 0) > 0)
            .Select(v => v.Price).ToHashSet();
        var anyExposureWithheld = variants.Any(v => v.Exposed is null);
        return view with
        {
            Variants = variants,
            SrmPValue = anyExposureWithheld ? null : view.SrmPValue,
            SampleRatioMismatch = !anyExposureWithheld && view.SampleRatioMismatch,
            Elasticity = [.. view.Elasticity.Where(e => !withheld.Contains(e.FromPrice) && !withheld.Contains(e.ToPrice))],
            RevenueOptimalPrice = withheld.Count > 0 ? null : view.RevenueOptimalPrice,
        };
    }

    private VariantResult Variant(VariantResult v, VariantTotals? totals)
    {
        if (IsSmall(v.Exposed))
        {
            return WithoutComparison(v) with { Exposed = null, Conversions = null, Rate = null, RevenuePerVisitor = null, Churn = null, Suppressed = true };
        }
        var result = v;
        if (IsSmall(v.Conversions) || IsSmall(v.Exposed - v.Conversions))
        {
            result = WithoutComparison(result) with { Conversions = null, Rate = null, RevenuePerVisitor = null, Suppressed = true };
        }
        if (totals is not null && (IsSmall(totals.Churned) || IsSmall(totals.Exposed - totals.Churned)))
        {
            result = result with { Churn = null, Suppressed = true };
        }
        return result;
    }

    private static VariantResult WithoutComparison(VariantResult v) => v with
    {
        Diff = null, CiLow = null, CiHigh = null, Z = null, PValue = null, SequentialPValue = null,
        RevenueDiff = null, RevenueCiLow = null, RevenueCiHigh = null, RevenuePValue = null,
        Suppressed = v.Suppressed || v.Diff is not null || v.RevenueDiff is not null,
    };
}
