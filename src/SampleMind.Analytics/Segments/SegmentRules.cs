namespace SampleMind.Analytics.Segments;

/// <summary>The seed's segment names.</summary>
public static class SegmentNames
{
    public const string Dormant = "dormant";
    public const string PowerUsers = "power_users";
    public const string Regulars = "regulars";
    public const string Explorers = "explorers";
    public const string Unclassified = "unclassified";

    public static readonly IReadOnlyList<string> All = [PowerUsers, Regulars, Explorers, Dormant, Unclassified];
}

/// <summary>The seed's plan names and which of them are paid.</summary>
public static class Plans
{
    public const string Free = "free";
    public const string Trial = "trial";
    public const string Starter = "starter";
    public const string Pro = "pro";
    public const string Studio = "studio";

    public static bool IsPaid(string plan) => plan is Starter or Pro or Studio;

    public static string Normalize(string? plan) => string.IsNullOrWhiteSpace(plan) ? Free : plan.Trim().ToLowerInvariant();
}

/// <summary>Everything the segment rules read, as of one instant.</summary>
public readonly record struct SegmentInputs(
    int AnalysesPerWeek,
    int DistinctFeaturesUsed,
    string Plan,
    double AccountAgeDays,
    double? DaysSinceLastActive,
    decimal LifetimeRevenue);

/// <summary>
/// The seed's segmentation, evaluated in order; the first match wins:
/// dormant, power_users, regulars, explorers, else unclassified.
/// </summary>
public static class SegmentRules
{
    public const int WapThreshold = 5;

    public static string Evaluate(in SegmentInputs x)
    {
        if (x.DaysSinceLastActive is > 30 && x.LifetimeRevenue > 0)
        {
            return SegmentNames.Dormant;
        }
        if (x.AnalysesPerWeek > 50 && x.DistinctFeaturesUsed > 10 && x.Plan is Plans.Pro or Plans.Studio)
        {
            return SegmentNames.PowerUsers;
        }
        if (x.AnalysesPerWeek is >= 5 and <= 50 && x.AccountAgeDays > 90 && Plans.IsPaid(x.Plan))
        {
            return SegmentNames.Regulars;
        }
        if (x.AnalysesPerWeek is >= 1 and <= 5 && x.AccountAgeDays < 90 && x.Plan is Plans.Free or Plans.Trial)
        {
            return SegmentNames.Explorers;
        }
        return SegmentNames.Unclassified;
    }

    /// <summary>WAP membership (the north star): at least 5 analyses in the trailing 7 days.</summary>
    public static bool IsWeeklyActiveProducer(int analysesPerWeek) => analysesPerWeek >= WapThreshold;
}
