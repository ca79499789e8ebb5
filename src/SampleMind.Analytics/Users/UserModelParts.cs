namespace SampleMind.Analytics.Users;

/// <summary>
/// One UTC day of a user's activity (the daily activity bucket), as the model hands it out; it stores it packed
/// (UserModel.Days.cs). The day's revenue and payments are not kept here: they are the day's entries of
/// <see cref="UserModel.Payments"/> (see <see cref="UserModel.RevenueOn"/>).
/// </summary>
public struct DayBucket
{
    public int Day { get; internal set; }
    public int Events { get; internal set; }
    public int Analyses { get; internal set; }
    public int Uploads { get; internal set; }
    public int Sessions { get; internal set; }
    public long SessionSeconds { get; internal set; }
    public int Logins { get; internal set; }
    public int FeatureUses { get; internal set; }
    internal long LastAtTicks { get; set; }

    public readonly DateTimeOffset LastAt => new(LastAtTicks, TimeSpan.Zero);

    // The user's share of the day's KPI row (see Kpis/KpiContributions.cs).
    public int SessionsEnded { get; internal set; }
    public decimal ProcessingTimeSum { get; internal set; }
    public int ProcessingTimeCount { get; internal set; }
    public decimal AccuracySum { get; internal set; }
    public int AccuracyCount { get; internal set; }

    /// <summary>The features used that day, sorted ordinal; a shared array (<see cref="SharedStrings.WithFeature"/>), null for none.</summary>
    public string[]? Features { get; internal set; }
}

/// <summary>A value with the time of the event that set it, so that late events resolve the same way as in-order ones.</summary>
public readonly struct Stamped(string value, long atTicks, string messageId) : IEquatable<Stamped>
{
    public Stamped(string value, DateTimeOffset at, string messageId) : this(value, at.UtcTicks, messageId)
    {
    }

    public string Value { get; } = value;
    public long AtTicks { get; } = atTicks;
    public string MessageId { get; } = messageId;
    public DateTimeOffset At => new(AtTicks, TimeSpan.Zero);

    /// <summary>True when this value was set after <paramref name="other"/> (ties broken by messageId, so the order of arrival never matters).</summary>
    public bool IsNewerThan(Stamped? other)
        => other is not { } o || AtTicks > o.AtTicks || (AtTicks == o.AtTicks && string.CompareOrdinal(MessageId, o.MessageId) > 0);

    public bool Equals(Stamped other) => Value == other.Value && AtTicks == other.AtTicks && MessageId == other.MessageId;

    public override bool Equals(object? obj) => obj is Stamped other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Value, AtTicks, MessageId);

    public static bool operator ==(Stamped left, Stamped right) => left.Equals(right);

    public static bool operator !=(Stamped left, Stamped right) => !left.Equals(right);
}

/// <summary>One identify/group trait and the event that set it.</summary>
public readonly record struct Trait(string Key, Stamped Value);

/// <summary>A payment_succeeded: when, and the amount.</summary>
/// <summary>A person's first exposure to an experiment: the experiment's key, the variant, when, and the event that said so.</summary>
public readonly record struct Exposure(string Experiment, string Variant, long AtTicks, string MessageId)
{
    public static readonly IComparer<Exposure> ByExperiment = Comparer<Exposure>.Create(static (a, b) => string.CompareOrdinal(a.Experiment, b.Experiment));
}

public readonly struct Payment(long atTicks, decimal amount, bool fromStripe = false)
{
    public long AtTicks { get; } = atTicks;
    public DateTimeOffset At => new(AtTicks, TimeSpan.Zero);
    public decimal Amount { get; } = amount;
    /// <summary>An invoice.paid of Stripe's (the webhook applier's payment_succeeded), not a payment the product reported.</summary>
    public bool FromStripe { get; } = fromStripe;
}

/// <summary>A charge.refunded: the charge, when, its amount refunded so far (cumulative, as Stripe reports it), the event.</summary>
public readonly record struct Refund(string ChargeId, long AtTicks, decimal Refunded, string MessageId);

public sealed record class SubscriptionStatus(string Status, string? Plan, decimal? Amount, DateTimeOffset At, string MessageId);

public readonly record struct SegmentChange(DateOnly Date, string From, string To);

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
    /// <summary>A refund (Stripe's charge.refunded): amount = the charge's amount refunded so far, charge_id.</summary>
    public const string PaymentRefunded = "payment_refunded";
    /// <summary>A Stripe subscription as a customer.subscription.* webhook showed it (normalised MRR, status, plan…).</summary>
    public const string StripeSubscription = "stripe_subscription";
    public const string SupportTicketOpened = "support_ticket_opened";
    public const string AnalysisFeedback = "analysis_feedback";
    public const string ExperimentViewed = "experiment_viewed";

    /// <summary>The name Segment's A/B-testing spec gives the same event.</summary>
    public const string SegmentExperimentViewed = "Experiment Viewed";
}
