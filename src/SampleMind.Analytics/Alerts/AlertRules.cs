namespace SampleMind.Analytics.Alerts;

/// <summary>The seed's alert rules (DESIGN.md "Alerts"), by name.</summary>
public static class AlertRuleNames
{
    public const string ErrorRate = "error_rate";
    public const string PaymentFailures = "payment_failures";
    public const string DailyChurn = "daily_churn";
    public const string Cac = "cac";
    public const string FeatureAdoption = "feature_adoption";

    public static readonly string[] All = [ErrorRate, PaymentFailures, DailyChurn, Cac, FeatureAdoption];
}

public static class AlertSeverities
{
    public const string Critical = "critical";
    public const string Warning = "warning";
    public const string Info = "info";

    public static bool IsValid(string? severity) => severity is Critical or Warning or Info;
}

/// <summary>One rule's settings: what <see cref="Threshold"/> and <see cref="Window"/> mean is per rule (see <see cref="AlertRuleSet"/>).</summary>
public sealed class AlertRule
{
    public bool Enabled { get; set; } = true;

    public decimal Threshold { get; set; }

    public TimeSpan Window { get; set; }

    public string Severity { get; set; } = AlertSeverities.Warning;

    /// <summary>The least evidence before the rule judges (requests for error_rate, cancellations today for daily_churn).</summary>
    public int MinCount { get; set; }
}

/// <summary>
/// The five rules with the seed's defaults; each can be reconfigured (threshold, window, severity).
/// <list type="bullet">
/// <item>error_rate: per model version, failed / all analysis_completed with a timestamp in the last Window (5 min) &gt;
/// Threshold (0.05), once at least MinCount (20) requests are in the window; critical.</item>
/// <item>payment_failures: payment_failed events with a timestamp in the last Window (5 min) &gt; Threshold (10); critical.</item>
/// <item>daily_churn: subscription_canceled events today (UTC) &gt; Threshold (1.5) × their daily average over the Window
/// (7 days) before today, once today has at least MinCount (5); warning.</item>
/// <item>cac: per marketing campaign, spend / paying conversions &gt; Threshold ($60); warning.</item>
/// <item>feature_adoption: per launched feature (<see cref="FeatureLaunches"/>), users of the feature / DAU on the day
/// Window (7 days) after its launch &lt; Threshold (0.1); info.</item>
/// </list>
/// </summary>
public class AlertRuleSet
{
    public AlertRule ErrorRate { get; set; } = new() { Threshold = 0.05m, Window = TimeSpan.FromMinutes(5), Severity = AlertSeverities.Critical, MinCount = 20 };

    public AlertRule PaymentFailures { get; set; } = new() { Threshold = 10, Window = TimeSpan.FromMinutes(5), Severity = AlertSeverities.Critical };

    public AlertRule DailyChurn { get; set; } = new() { Threshold = 1.5m, Window = TimeSpan.FromDays(7), Severity = AlertSeverities.Warning, MinCount = 5 };

    public AlertRule Cac { get; set; } = new() { Threshold = 60, Severity = AlertSeverities.Warning };

    public AlertRule FeatureAdoption { get; set; } = new() { Threshold = 0.1m, Window = TimeSpan.FromDays(7), Severity = AlertSeverities.Info };

    /// <summary>Feature name → launch day (UTC), for feature_adoption.</summary>
    public Dictionary<string, DateOnly> FeatureLaunches { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<(string Name, AlertRule Rule)> Rules =>
    [
        (AlertRuleNames.ErrorRate, ErrorRate),
        (AlertRuleNames.PaymentFailures, PaymentFailures),
        (AlertRuleNames.DailyChurn, DailyChurn),
        (AlertRuleNames.Cac, Cac),
        (AlertRuleNames.FeatureAdoption, FeatureAdoption),
    ];

    /// <summary>Configuration mistakes, one line each (empty when the rules are usable).</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (name, rule) in Rules)
        {
            if (!AlertSeverities.IsValid(rule.Severity))
            {
                yield return $"Alerts:{name}: severity '{rule.Severity}' is not critical, warning or info";
            }
            if (rule.Threshold < 0 || rule.MinCount < 0 || rule.Window < TimeSpan.Zero)
            {
                yield return $"Alerts:{name}: threshold, window and min count must not be negative";
            }
        }
        foreach (var (name, rule) in new[] { (AlertRuleNames.ErrorRate, ErrorRate), (AlertRuleNames.PaymentFailures, PaymentFailures) })
        {
            if (rule.Window < TimeSpan.FromSeconds(1) || rule.Window > TimeSpan.FromDays(1))
            {
                yield return $"Alerts:{name}: the window must be between 1 second and 1 day";
            }
        }
        if (DailyChurn.Window.Ticks % TimeSpan.TicksPerDay != 0 || DailyChurn.Window < TimeSpan.FromDays(1) || DailyChurn.Window > TimeSpan.FromDays(90))
        {
            yield return "Alerts:daily_churn: the window is a whole number of days between 1 and 90";
        }
        if (FeatureAdoption.Window.Ticks % TimeSpan.TicksPerDay != 0 || FeatureAdoption.Window > TimeSpan.FromDays(365))
        {
            yield return "Alerts:feature_adoption: the window is a whole number of days, at most 365";
        }
    }
}

/// <summary>One rule judged for one subject: whether it should be firing, with the value it saw.</summary>
public sealed record class AlertCondition(string Rule, string Subject, string Severity, bool Firing, decimal Value, decimal Threshold, string Message);

/// <summary>What the feature_adoption rule reads from a KPI day: DAU and users per feature.</summary>
public sealed record class FeatureDay(int Dau, IReadOnlyDictionary<string, int> FeatureUsers);
