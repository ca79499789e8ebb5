using System.Globalization;

namespace SampleMind.Analytics.Alerts;

/// <summary>
/// Judges every enabled rule of an <see cref="AlertRuleSet"/> at <c>now</c> on the live figures: the windowed signals,
/// the campaigns' CAC and the KPI days of launched features. Returns one condition per (rule, subject) it could judge;
/// a subject without data is not judged.
/// </summary>
public static class AlertEvaluator
{
    public static List<AlertCondition> Evaluate(
        AlertRuleSet rules,
        AlertSignals signals,
        IReadOnlyDictionary<string, decimal?> campaignCac,
        IReadOnlyDictionary<DateOnly, FeatureDay> days,
        DateTimeOffset now)
    {
        var conditions = new List<AlertCondition>();
        var nowSecond = now.ToUnixTimeSeconds();
        if (rules.ErrorRate.Enabled)
        {
            var r = rules.ErrorRate;
            var after = nowSecond - (long)r.Window.TotalSeconds;
            foreach (var model in signals.Subjects(AlertSignals.Analyses).Order(StringComparer.Ordinal))
            {
                var requests = signals.Sum(AlertSignals.Key(AlertSignals.Analyses, model), after, nowSecond);
                if (requests == 0 || requests < r.MinCount)
                {
                    continue;
                }
                var errors = signals.Sum(AlertSignals.Key(AlertSignals.AnalysisErrors, model), after, nowSecond);
                var rate = Math.Round((decimal)errors / requests, 6);
                conditions.Add(new(AlertRuleNames.ErrorRate, model, r.Severity, rate > r.Threshold, rate, r.Threshold,
                    Text($"{model}: error rate {rate:0.####} ({errors} of {requests} analyses in the last {Describe(r.Window)}); threshold {r.Threshold}")));
            }
        }

        if (rules.PaymentFailures.Enabled)
        {
            var r = rules.PaymentFailures;
            var failures = signals.Sum(AlertSignals.Key(AlertSignals.PaymentFailures, AlertSignals.All), nowSecond - (long)r.Window.TotalSeconds, nowSecond);
            conditions.Add(new(AlertRuleNames.PaymentFailures, AlertSignals.All, r.Severity, failures > r.Threshold, failures, r.Threshold,
                Text($"{failures} payment failures in the last {Describe(r.Window)}; threshold {r.Threshold}")));
        }

        if (rules.DailyChurn.Enabled)
        {
            var r = rules.DailyChurn;
            var key = AlertSignals.Key(AlertSignals.Cancellations, AlertSignals.All);
            var today = AlertSignals.DayNumber(now);
            var windowDays = (int)r.Window.TotalDays;
            var todays = signals.Sum(key, today - 1, today);
            var average = Math.Round((decimal)signals.Sum(key, today - 1 - windowDays, today - 1) / windowDays, 6);
            var limit = Math.Round(r.Threshold * average, 6);
            conditions.Add(new(AlertRuleNames.DailyChurn, AlertSignals.All, r.Severity, todays >= r.MinCount && todays > limit, todays, limit,
                Text($"{todays} subscriptions canceled today; {r.Threshold} × the {windowDays}-day average {average:0.##} = {limit:0.##}")));
        }

        if (rules.Cac.Enabled)
        {
            var r = rules.Cac;
            foreach (var (campaign, cac) in campaignCac.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (cac is { } value)
                {
                    conditions.Add(new(AlertRuleNames.Cac, campaign, r.Severity, value > r.Threshold, value, r.Threshold,
                        Text($"campaign {campaign}: CAC ${value:0.00}; threshold ${r.Threshold:0.00}")));
                }
            }
        }

        if (rules.FeatureAdoption.Enabled)
        {
            var r = rules.FeatureAdoption;
            foreach (var (feature, launch) in rules.FeatureLaunches.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                var day = AdoptionDay(r, launch);
                if (day > DateOnly.FromDateTime(now.UtcDateTime) || !days.TryGetValue(day, out var figures) || figures.Dau == 0)
                {
                    continue;
                }
                var users = figures.FeatureUsers.GetValueOrDefault(feature);
                var adoption = Math.Round((decimal)users / figures.Dau, 6);
                conditions.Add(new(AlertRuleNames.FeatureAdoption, feature, r.Severity, adoption < r.Threshold, adoption, r.Threshold,
                    Text($"feature {feature} (launched {launch:yyyy-MM-dd}): {users} of {figures.Dau} active users on {day:yyyy-MM-dd} = {adoption:0.####}; threshold {r.Threshold}")));
            }
        }
        return conditions;
    }

    /// <summary>The KPI day the feature_adoption rule reads for a feature launched on <paramref name="launch"/>.</summary>
    public static DateOnly AdoptionDay(AlertRule rule, DateOnly launch) => launch.AddDays((int)rule.Window.TotalDays);

    private static string Describe(TimeSpan window)
        => window.TotalMinutes >= 1 && window.Seconds == 0 ? Text($"{window.TotalMinutes:0.##} minutes") : Text($"{window.TotalSeconds:0} seconds");

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
