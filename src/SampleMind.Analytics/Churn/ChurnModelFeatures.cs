using System.Globalization;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Churn;

/// <summary>
/// The feature vector of the trained churn model: the seed's seven churn features, then eleven more read from the
/// same user model (recency of any activity, account age, plan, active days, analysis counts, revenue, a recent
/// cancellation), then the billing and support signals (<see cref="ChurnSignalFeatures"/>) and the shape of recent
/// activity against the person's own past (<see cref="ChurnActivityFeatures"/>). Training (as of past cut-off dates) and live scoring (as of now) build it with the same code,
/// so a trained model sees in production exactly what it was trained on.
/// </summary>
public static class ChurnModelFeatures
{
    /// <summary>An event longer ago than this (or none: a cancellation, a failed payment, a ticket) reads as this many days.</summary>
    public const double NoEventDays = 365;

    /// <summary>A cancellation longer ago than this (or none) reads as this many days.</summary>
    public const double NoCancellationDays = NoEventDays;

    /// <summary>Feature names in vector order; the first seven are the seed's.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "days_since_last_login", "usage_trend_30d", "support_tickets", "payment_failures",
        "feature_adoption_rate", "session_frequency", "engagement_score",
        "days_since_last_active", "account_age_days", "paid_plan", "trial_plan", "active_days_7", "active_days_30",
        "analyses_7d", "analyses_30d", "monthly_revenue", "lifetime_revenue", "days_since_cancel",
        "payment_failures_in_row", "days_since_payment_failure", "days_since_payment", "days_since_support_ticket",
        "support_tickets_14d", "payment_failures_total",
        "active_days_14", "active_days_prior_14", "history_active_rate", "active_7d_vs_history", "active_14d_vs_history",
        "silent_days", "longest_earlier_silence", "silence_vs_longest", "active_weighted_vs_history",
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
        var signals = ChurnSignalFeatures.Of(model, at);
        var activity = ChurnActivityFeatures.Of(model, today);
        var cancel = model.Subscription is { Status: "canceled" } s ? Math.Min(NoCancellationDays, Math.Max(0, (at - s.At).TotalDays)) : NoCancellationDays;
        return
        [
            (float)seed.DaysSinceLastLogin, (float)seed.UsageTrend30d, seed.SupportTickets, seed.PaymentFailures,
            (float)seed.FeatureAdoptionRate, (float)seed.SessionFrequency, (float)seed.EngagementScore,
            (float)Math.Max(0, (at - lastActive).TotalDays), (float)Math.Max(0, (at - signup).TotalDays),
            Plans.IsPaid(plan) ? 1 : 0, plan == Plans.Trial ? 1 : 0, active7, active30, analyses7, analyses30,
            (float)model.MonthlyRevenue, (float)model.LifetimeRevenue, (float)cancel,
            signals.PaymentFailuresInRow, (float)signals.DaysSincePaymentFailure, (float)signals.DaysSincePayment,
            (float)signals.DaysSinceSupportTicket, signals.SupportTickets14d, signals.PaymentFailuresTotal,
            activity.ActiveDays14, activity.ActiveDaysPrior14, (float)activity.HistoryActiveRate, (float)activity.Recent7VsHistory,
            (float)activity.Recent14VsHistory, activity.SilentDays, activity.LongestEarlierSilence, (float)activity.SilenceVsLongest,
            (float)activity.WeightedVsHistory,
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
            "payment_failures_in_row" => Text($"{value:0} failed payment{Plural(value)} in a row"),
            "days_since_payment_failure" => value < NoEventDays ? Text($"a payment failed {whole:0} days ago") : "no failed payment",
            "days_since_payment" => value < NoEventDays ? Text($"last paid {whole:0} days ago") : "never paid",
            "days_since_support_ticket" => value < NoEventDays ? Text($"a support ticket {whole:0} days ago") : "no support ticket",
            "support_tickets_14d" => Text($"{value:0} support ticket{Plural(value)} in 14 days"),
            "payment_failures_total" => Text($"{value:0} failed payment{Plural(value)} so far"),
            "active_days_14" => Text($"active {value:0} of the last 14 days"),
            "active_days_prior_14" => Text($"active {value:0} of the 14 days before"),
            "history_active_rate" => Text($"active on {value * 100:0}% of days"),
            "active_7d_vs_history" => Text($"active {value * 100:0}% as often this week as usual"),
            "active_14d_vs_history" => Text($"active {value * 100:0}% as often in 14 days as usual"),
            "silent_days" => Text($"silent for {value:0} days"),
            "longest_earlier_silence" => Text($"longest earlier silence {value:0} days"),
            "silence_vs_longest" => Text($"silent {value:0.#}× as long as ever before"),
            "active_weighted_vs_history" => Text($"lately active {value * 100:0}% as often as usual"),
            _ => Text($"{feature} = {value:0.##}"),
        };
    }

    private static string Plural(double count) => count == 1 ? "" : "s";

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
