using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Kpis;

/// <summary>
/// Time to First Value (the seed's secondary north-star metric, target under 5 minutes): the whole seconds from a
/// person's signup (<see cref="UserModel.SignupAt"/>) to their earliest <c>analysis_completed</c>, counted on the signup
/// day; a first analysis before the signup counts 0 seconds. People without a signup or an analysis have none.
/// </summary>
public static class TimeToFirstValue
{
    private static readonly int FirstAnalysisStep = Funnels.ActivationSteps.ToList().IndexOf("first_analysis");

    /// <summary>The person's TTFV in whole seconds (truncated), or null.</summary>
    public static long? SecondsOf(UserModel model)
    {
        if (model.SignupAt is not { } signup || model.FunnelStepAt(Funnels.Activation, FirstAnalysisStep) is not { } first)
        {
            return null;
        }
        return Math.Max(0, (first.UtcTicks - signup.UtcTicks) / TimeSpan.TicksPerSecond);
    }

    /// <summary>
    /// The nearest-rank percentile of a histogram (value → count): the smallest value whose cumulative count reaches
    /// ⌈<paramref name="fraction"/> × n⌉, as PostgreSQL's <c>percentile_disc</c>; null for an empty histogram.
    /// </summary>
    public static long? Percentile(SortedDictionary<long, int> histogram, double fraction)
    {
        var n = histogram.Values.Sum();
        if (n <= 0)
        {
            return null;
        }
        var rank = Math.Max(1, (long)Math.Ceiling(fraction * n));
        long seen = 0;
        foreach (var (value, count) in histogram)
        {
            seen += count;
            if (seen >= rank)
            {
                return value;
            }
        }
        return histogram.Keys.Last();
    }
}
