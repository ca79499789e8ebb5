using System.ComponentModel.DataAnnotations;

namespace SampleMind.Privacy;

/// <summary>What happens to a person inactive past <see cref="RetentionOptions.InactiveDays"/>.</summary>
public enum InactiveUserAction
{
    /// <summary>Erased through the erasure job (every row, every aggregate share, a tombstone).</summary>
    Erase,

    /// <summary>Left alone (the class is off).</summary>
    Keep,
}

/// <summary>
/// <c>Privacy:Retention</c>: the seed's retention classes (analytics 2 years, financial 7 years, user data last activity
/// + 90 days) and the silo job that enforces them (a reminder of <see cref="RetentionPolicyGrain"/>).
/// </summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Privacy:Retention";

    /// <summary>Whether the daily job is scheduled (a reminder). <c>samplemind retention run</c> works either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the job runs (the reminder's period; its first run is one period after the silo registered it).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Raw events older than this many days (cut back to a Monday) are deleted from the log; the day aggregates stay.</summary>
    [Range(14, 36_500)]
    public int AnalyticsDays { get; set; } = 730;

    /// <summary>Financial events (payments, subscriptions) are kept this many days (7 years), beyond the analytics horizon.</summary>
    [Range(14, 36_500)]
    public int FinancialDays { get; set; } = 2_557;

    /// <summary>A person whose last event is older than this many days is inactive.</summary>
    [Range(1, 36_500)]
    public int InactiveDays { get; set; } = 90;

    /// <summary>What happens to inactive people.</summary>
    public InactiveUserAction InactiveUsers { get; set; } = InactiveUserAction.Erase;
}
