namespace SampleMind.Analytics.Users;

/// <summary>One UTC day of a user's activity (the daily activity bucket).</summary>
public sealed class DayBucket
{
    public int Events { get; set; }
    public int Analyses { get; set; }
    public int Uploads { get; set; }
    public int Sessions { get; set; }
    public long SessionSeconds { get; set; }
    public int Logins { get; set; }
    public int FeatureUses { get; set; }
    public decimal Revenue { get; set; }
    public DateTimeOffset LastAt { get; set; }

    // The user's share of the day's KPI row (see Kpis/KpiContributions.cs).
    public int SessionsEnded { get; set; }
    public int Payments { get; set; }
    public decimal ProcessingTimeSum { get; set; }
    public int ProcessingTimeCount { get; set; }
    public decimal AccuracySum { get; set; }
    public int AccuracyCount { get; set; }
    public List<string>? Features { get; set; }
}

/// <summary>A value with the time of the event that set it, so that late events resolve the same way as in-order ones.</summary>
public sealed record class Stamped(string Value, DateTimeOffset At, string MessageId)
{
    /// <summary>True when this value was set after <paramref name="other"/> (ties broken by messageId, so the order of arrival never matters).</summary>
    public bool IsNewerThan(Stamped? other)
        => other is null || At > other.At || (At == other.At && string.CompareOrdinal(MessageId, other.MessageId) > 0);
}

public sealed record class Payment(DateTimeOffset At, decimal Amount);

public sealed record class SubscriptionStatus(string Status, string? Plan, decimal? Amount, DateTimeOffset At, string MessageId);

public sealed record class SegmentChange(DateOnly Date, string From, string To);

/// <summary>The seed's two funnels and their step names, in order.</summary>
public static class Funnels
{
    public const string Activation = "activation";
    public const string Monetization = "monetization";

    public static readonly IReadOnlyList<string> ActivationSteps =
        ["signup_started", "email_verified", "first_upload", "first_analysis", "second_session"];

    public static readonly IReadOnlyList<string> MonetizationSteps =
        ["free_user", "trial_started", "payment_added", "subscription_active", "subscription_renewed"];
}

/// <summary>The seed's event names.</summary>
public static class EventNames
{
    public const string SignupStarted = "signup_started";
    public const string EmailVerified = "email_verified";
    public const string Login = "login";
    public const string SessionStarted = "session_started";
    public const string SessionEnded = "session_ended";
    public const string SampleUploaded = "sample_uploaded";
    public const string AnalysisCompleted = "analysis_completed";
    public const string FeatureUsed = "feature_used";
    public const string TrialStarted = "trial_started";
    public const string PaymentAdded = "payment_added";
    public const string SubscriptionStarted = "subscription_started";
    public const string SubscriptionRenewed = "subscription_renewed";
    public const string SubscriptionCanceled = "subscription_canceled";
    public const string PaymentSucceeded = "payment_succeeded";
    public const string PaymentFailed = "payment_failed";
    public const string SupportTicketOpened = "support_ticket_opened";
    public const string AnalysisFeedback = "analysis_feedback";
}
