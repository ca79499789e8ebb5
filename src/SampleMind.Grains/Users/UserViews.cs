using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;
using SampleMind.Churn;

namespace SampleMind.Users;

/// <summary>Maps the user model to the wire views of <see cref="IUserGrain"/>.</summary>
internal static class UserViews
{
    public static UserView ToView(UserModel model, IChurnScorer scorer, DateTimeOffset now)
    {
        var inputs = model.SegmentInputsAt(now);
        var features = model.ChurnFeaturesAt(now);
        var assessment = scorer.Assess(model, features);
        var segment = SegmentRules.Evaluate(inputs);
        var subscription = model.Subscription;
        return new UserView
        {
            UserId = model.UserId,
            AsOf = now,
            EventsApplied = model.EventsApplied,
            Profile = new UserProfile(
                model.PlanAt(now),
                model.SignupAt ?? model.FirstSeenAt,
                model.Email?.Value,
                model.Source?.Value,
                model.Campaign?.Value,
                model.UtmSource?.Value,
                model.UtmMedium?.Value,
                model.UtmCampaign?.Value,
                model.Device?.Value),
            Traits = model.Traits.ToDictionary(t => t.Key, t => t.Value.Value, StringComparer.Ordinal),
            FirstSeenAt = model.FirstSeenAt,
            LastActiveAt = model.LastActiveAt,
            LastLoginAt = model.LastLoginAt,
            Activity = Activity(model),
            FeaturesUsed = [.. model.FeaturesUsed],
            SupportTickets = model.SupportTicketCount,
            PaymentFailures = model.PaymentFailureTimes,
            Payments = model.Payments.Length,
            LifetimeRevenue = model.LifetimeRevenue,
            Subscription = subscription is null
                ? new Subscription("none", null, null, null)
                : new Subscription(subscription.Status, subscription.Plan, subscription.Amount, subscription.At),
            ActivationFunnel = InStepOrder(model, Funnels.Activation, Funnels.ActivationSteps),
            MonetizationFunnel = InStepOrder(model, Funnels.Monetization, Funnels.MonetizationSteps),
            Segment = segment,
            SegmentHistory = model.SegmentHistory.Select(t => new SegmentTransition(t.Date, t.From, t.To)).ToArray(),
            AnalysesLast7Days = inputs.AnalysesPerWeek,
            IsWeeklyActiveProducer = SegmentRules.IsWeeklyActiveProducer(inputs.AnalysesPerWeek),
            ChurnFeatures = ToWire(features),
            Risk = ToRisk(model.UserId, segment, assessment, now),
            Ltv = assessment.Ltv,
            Mrr = model.MonthlyRevenue,
            Refunded = model.Refunded,
            StripeSubscriptions = [.. model.StripeSubscriptionsNow.Select(o => new StripeSubscriptionView
            {
                Id = o.SubscriptionId, Status = o.Status, Mrr = o.Mrr, Currency = o.Currency, Plan = o.Plan, PriceId = o.PriceId,
                Quantity = o.Quantity, Interval = o.Interval, CancelAtPeriodEnd = o.CancelAtPeriodEnd, Coupon = o.Coupon,
                AsOf = new DateTimeOffset(o.AtTicks, TimeSpan.Zero),
            })],
            SegmentIn30Days = scorer.ForecastSegment(model, features) is { } f ? new SegmentForecast(f.Segment, f.Probability, f.ModelVersion) : null,
            Experiments = [.. model.Exposures.ToArray().Select(x =>
                new ExperimentExposureView(x.Experiment, x.Variant, new DateTimeOffset(x.AtTicks, TimeSpan.Zero), x.MessageId))],
        };
    }

    public static RiskView ToRisk(UserModel model, IChurnScorer scorer, DateTimeOffset now)
    {
        var features = model.ChurnFeaturesAt(now);
        return ToRisk(model.UserId, model.SegmentAt(now), scorer.Assess(model, features), now);
    }

    /// <summary>The steps reached, in the funnel's order.</summary>
    private static Dictionary<string, DateTimeOffset> InStepOrder(UserModel model, string funnel, IReadOnlyList<string> steps)
    {
        var ordered = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (var k = 0; k < steps.Count; k++)
        {
            if (model.FunnelStepAt(funnel, k) is { } at)
            {
                ordered[steps[k]] = at;
            }
        }
        return ordered;
    }

    /// <summary>The retained day buckets, oldest first, with each day's revenue.</summary>
    private static DayActivity[] Activity(UserModel model)
        => [.. model.Days.Select(d => new DayActivity(DateOnly.FromDayNumber(d.Day), d.Events, d.Analyses, d.Uploads, d.Sessions,
            d.SessionSeconds, d.Logins, d.FeatureUses, model.RevenueOn(d.Day).Revenue))];

    private static RiskView ToRisk(string userId, string segment, ChurnAssessment a, DateTimeOffset now) => new()
    {
        UserId = userId,
        Segment = segment,
        Score = a.Score,
        Level = a.Level,
        Factors = a.Factors.Select(f => new RiskFactor(f.Feature, f.Value, f.Contribution, f.Description)).ToArray(),
        Actions = a.Actions.ToArray(),
        Ltv = a.Ltv,
        ExpectedLtvImpact = a.ExpectedLtvImpact,
        ModelVersion = a.ModelVersion,
        AsOf = now,
    };

    private static ChurnFeatures ToWire(in ChurnFeatureValues f) => new(
        f.DaysSinceLastLogin, f.UsageTrend30d, f.SupportTickets, f.PaymentFailures,
        f.FeatureAdoptionRate, f.SessionFrequency, f.EngagementScore);
}
