namespace SampleMind.Users;

/// <summary>The 360° view of one user, as of <see cref="AsOf"/>.</summary>
[GenerateSerializer, Immutable, Alias("sm.user-view")]
public sealed record class UserView
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required DateTimeOffset AsOf { get; init; }
    [Id(2)] public required long EventsApplied { get; init; }
    [Id(3)] public required UserProfile Profile { get; init; }
    [Id(4)] public required Dictionary<string, string> Traits { get; init; }
    [Id(5)] public DateTimeOffset? FirstSeenAt { get; init; }
    [Id(6)] public DateTimeOffset? LastActiveAt { get; init; }
    [Id(7)] public DateTimeOffset? LastLoginAt { get; init; }
    [Id(8)] public required DayActivity[] Activity { get; init; }
    [Id(9)] public required string[] FeaturesUsed { get; init; }
    [Id(10)] public required int SupportTickets { get; init; }
    [Id(11)] public required DateTimeOffset[] PaymentFailures { get; init; }
    [Id(12)] public required int Payments { get; init; }
    [Id(13)] public required decimal LifetimeRevenue { get; init; }
    [Id(14)] public required Subscription Subscription { get; init; }
    [Id(15)] public required Dictionary<string, DateTimeOffset> ActivationFunnel { get; init; }
    [Id(16)] public required Dictionary<string, DateTimeOffset> MonetizationFunnel { get; init; }
    [Id(17)] public required string Segment { get; init; }
    [Id(18)] public required SegmentTransition[] SegmentHistory { get; init; }
    [Id(19)] public required int AnalysesLast7Days { get; init; }
    [Id(20)] public required bool IsWeeklyActiveProducer { get; init; }
    [Id(21)] public required ChurnFeatures ChurnFeatures { get; init; }
    [Id(22)] public required RiskView Risk { get; init; }
    [Id(23)] public required decimal Ltv { get; init; }
    /// <summary>The segment predicted for 30 days from now by the promoted churn version; null while none is promoted.</summary>
    [Id(24)] public SegmentForecast? SegmentIn30Days { get; init; }
    /// <summary>Monthly recurring revenue: Stripe's subscriptions normalised to a month when any webhook told of one, else the product's subscription.</summary>
    [Id(25)] public decimal Mrr { get; init; }
    /// <summary>Each Stripe subscription as its latest event (by Stripe's own time) shows it.</summary>
    [Id(26)] public StripeSubscriptionView[] StripeSubscriptions { get; init; } = [];
    /// <summary>Σ refunded by Stripe (charge.refunded), in the currency's major unit.</summary>
    [Id(27)] public decimal Refunded { get; init; }
    /// <summary>The experiments the person was exposed to: the variant and when (recorded once per experiment).</summary>
    [Id(28)] public ExperimentExposureView[] Experiments { get; init; } = [];
}

/// <summary>A Stripe subscription as Stripe says it is.</summary>
[GenerateSerializer, Immutable, Alias("sm.stripe-subscription-view")]
public sealed record class StripeSubscriptionView
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Status { get; init; }
    /// <summary>Normalised to a month, after coupons; 0 unless active or past_due.</summary>
    [Id(2)] public required decimal Mrr { get; init; }
    [Id(3)] public string? Currency { get; init; }
    [Id(4)] public string? Plan { get; init; }
    [Id(5)] public string? PriceId { get; init; }
    [Id(6)] public long Quantity { get; init; }
    [Id(7)] public string? Interval { get; init; }
    [Id(8)] public bool CancelAtPeriodEnd { get; init; }
    [Id(9)] public string? Coupon { get; init; }
    /// <summary>The Stripe event time of the observation shown.</summary>
    [Id(10)] public required DateTimeOffset AsOf { get; init; }
}

/// <summary>One experiment exposure of a person.</summary>
[GenerateSerializer, Immutable, Alias("sm.experiment-exposure-view")]
public sealed record class ExperimentExposureView(
    [property: Id(0)] string Experiment,
    [property: Id(1)] string Variant,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string MessageId);

/// <summary>A predicted segment, its probability and the model version that predicted it.</summary>
[GenerateSerializer, Immutable, Alias("sm.segment-forecast")]
public sealed record class SegmentForecast(
    [property: Id(0)] string Segment,
    [property: Id(1)] double Probability,
    [property: Id(2)] string ModelVersion);

[GenerateSerializer, Immutable, Alias("sm.user-profile")]
public sealed record class UserProfile(
    [property: Id(0)] string Plan,
    [property: Id(1)] DateTimeOffset? SignupAt,
    [property: Id(2)] string? Email,
    [property: Id(3)] string? AcquisitionSource,
    [property: Id(4)] string? Campaign,
    [property: Id(5)] string? UtmSource,
    [property: Id(6)] string? UtmMedium,
    [property: Id(7)] string? UtmCampaign,
    [property: Id(8)] string? Device);

/// <summary>One UTC day of a user's activity.</summary>
[GenerateSerializer, Immutable, Alias("sm.day-activity")]
public sealed record class DayActivity(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] int Events,
    [property: Id(2)] int Analyses,
    [property: Id(3)] int Uploads,
    [property: Id(4)] int Sessions,
    [property: Id(5)] long SessionSeconds,
    [property: Id(6)] int Logins,
    [property: Id(7)] int FeatureUses,
    [property: Id(8)] decimal Revenue);

[GenerateSerializer, Immutable, Alias("sm.subscription")]
public sealed record class Subscription(
    [property: Id(0)] string Status,
    [property: Id(1)] string? Plan,
    [property: Id(2)] decimal? Amount,
    [property: Id(3)] DateTimeOffset? Since);

[GenerateSerializer, Immutable, Alias("sm.segment-transition")]
public sealed record class SegmentTransition(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] string From,
    [property: Id(2)] string To);

/// <summary>The seven churn features of the seed, as of the view's time.</summary>
[GenerateSerializer, Immutable, Alias("sm.churn-features")]
public sealed record class ChurnFeatures(
    [property: Id(0)] double DaysSinceLastLogin,
    [property: Id(1)] double UsageTrend30d,
    [property: Id(2)] int SupportTickets,
    [property: Id(3)] int PaymentFailures,
    [property: Id(4)] double FeatureAdoptionRate,
    [property: Id(5)] double SessionFrequency,
    [property: Id(6)] double EngagementScore);

/// <summary>A user's churn risk with its reasons, the recommended actions and the LTV at stake.</summary>
[GenerateSerializer, Immutable, Alias("sm.risk-view")]
public sealed record class RiskView
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required string Segment { get; init; }
    [Id(2)] public required double Score { get; init; }
    [Id(3)] public required string Level { get; init; }
    [Id(4)] public required RiskFactor[] Factors { get; init; }
    [Id(5)] public required string[] Actions { get; init; }
    [Id(6)] public required decimal Ltv { get; init; }
    [Id(7)] public required decimal ExpectedLtvImpact { get; init; }
    [Id(8)] public required string ModelVersion { get; init; }
    [Id(9)] public required DateTimeOffset AsOf { get; init; }
}

[GenerateSerializer, Immutable, Alias("sm.risk-factor")]
public sealed record class RiskFactor(
    [property: Id(0)] string Feature,
    [property: Id(1)] double Value,
    [property: Id(2)] double Contribution,
    [property: Id(3)] string Description);
