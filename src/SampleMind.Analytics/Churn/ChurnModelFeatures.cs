using System.Globalization;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Churn;

/// <summary>
/// The feature vector of the trained churn model: the seed's seven churn features, then eleven more read from the
/// same user model (recency of any activity, account age, plan, active days, analysis counts, revenue, a recent
/// cancellation). Training (as of past cut-off dates) and live scoring (as of now) build it with the same code,
/// so a trained model sees in production exactly what it was trained on.
/// </summary>
public static class ChurnModelFeatures
{
    /// <summary>A cancellation longer ago than this (or none) reads as this many days.</summary>
    public const double NoCancellationDays = 365;

    /// <summary>Feature names in vector order; the first seven are the seed's.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "days_since_last_login", "usage_trend_30d", "support_tickets", "payment_failures",
        "feature_adoption_rate", "session_frequency", "engagement_score",
        "days_since_last_active", "account_age_days", "paid_plan", "trial_plan", "active_days_7", "active_days_30",
        "analyses_7d", "analyses_30d", "monthly_revenue", "lifetime_revenue", "days_since_cancel",
    ];

    public static int Count => Names.Count;

    /// <summary>The vector as of <paramref name="at"/>; <paramref name="seed"/> is <c>model.ChurnFeaturesAt(at)</c>.</summary>
    public static float[] Vector(UserModel model, in ChurnFeatureValues seed, DateTimeOffset at)
    {
        var today = UserModel.DayOf(at);
        int active7 = 0, active30 = 0, analyses7 = 0, analyses30 = 0;
        for (var d = today - 29; d <= today; d++)
        {
            if (!model.TryGetDay(d, out var b))
            {
                continue;
            }
            active30++;
            analyses30 += b.Analyses;
            if (d > today - 7)
            {
                active7++;
                analyses7 += b.Analyses;
            }
        }
        var lastActive = model.LastActiveAt ?? model.FirstSeenAt ?? at;
        var signup = model.SignupAt ?? model.FirstSeenAt ?? at;
        var plan = model.PlanAt(at);
        var cancel = model.Subscription is { Status: "canceled" } s ? Math.Min(NoCancellationDays, Math.Max(0, (at - s.At).TotalDays)) : NoCancellationDays;
        return
        [
            (float)seed.DaysSinceLastLogin, (float)seed.UsageTrend30d, seed.SupportTickets, seed.PaymentFailures,
            (float)seed.FeatureAdoptionRate, (float)seed.SessionFrequency, (float)seed.EngagementScore,
            (float)Math.Max(0, (at - lastActive).TotalDays), (float)Math.Max(0, (at - signup).TotalDays),
            Plans.IsPaid(plan) ? 1 : 0, plan == Plans.Trial ? 1 : 0, active7, active30, analyses7, analyses30,
            (float)model.MonthlyRevenue, (float)model.LifetimeRevenue, (float)cancel,
        ];
    }

    /// <summary>One feature's value in words, as a reason behind a score ("no login for 19 days").</summary>
    public static string Describe(string feature, double value)
    {
        var whole = Math.Floor(value);
        return feature switch
        {
            "days_since_last_login" => Text($"no login for {whole:0} days"),
            "usage_trend_30d" => value < 0
                ? Text($"usage down {-value * 100:0}% on the previous 30 days")
                : Text($"usage up {value * 100:0}% on the previous 30 days"),
            "support_tickets" => Text($"{value:0} support ticket{Plural(value)} in 30 days"),
            "payment_failures" => Text($"{value:0} payment failure{Plural(value)} this month"),
            "feature_adoption_rate" => Text($"uses {Math.Round(value * ChurnFeatureCalculator.FeatureCatalogSize):0} of {ChurnFeatureCalculator.FeatureCatalogSize} features"),
            "session_frequency" => Text($"{value:0.#} sessions a week"),
            "engagement_score" => Text($"engagement score {value:0}/100"),
            "days_since_last_active" => Text($"no activity for {whole:0} days"),
            "account_age_days" => Text($"account {whole:0} days old"),
            "paid_plan" => value > 0.5 ? "on a paid plan" : "not on a paid plan",
            "trial_plan" => value > 0.5 ? "on a trial" : "not on a trial",
            "active_days_7" => Text($"active {value:0} of the last 7 days"),
            "active_days_30" => Text($"active {value:0} of the last 30 days"),
            "analyses_7d" => Text($"{value:0} analyses in 7 days"),
            "analyses_30d" => Text($"{value:0} analyses in 30 days"),
            "monthly_revenue" => value > 0 ? Text($"pays ${value:0.##} a month") : "no recurring revenue",
            "lifetime_revenue" => Text($"${value:0.##} paid so far"),
            "days_since_cancel" => value < NoCancellationDays ? Text($"canceled {whole:0} days ago") : "never canceled",
            _ => Text($"{feature} = {value:0.##}"),
        };
    }

    private static string Plural(double count) => count == 1 ? "" : "s";

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
