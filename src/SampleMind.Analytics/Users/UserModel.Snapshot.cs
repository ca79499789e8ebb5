using SampleMind.Analytics.Segments;

namespace SampleMind.Analytics.Users;

/// <summary>Between the compact in-memory model and its snapshot (<see cref="UserSnapshot"/>).</summary>
public sealed partial class UserModel
{
    public UserSnapshot ToSnapshot() => new()
    {
        Format = UserSnapshot.CurrentFormat,
        EventsApplied = EventsApplied,
        Traits = [.. _traits.Select(t => new TraitSnapshot(t.Key, t.Value.Value, t.Value.AtTicks, t.Value.MessageId))],
        Email = ToSnapshot(_email),
        Device = ToSnapshot(_device),
        Source = ToSnapshot(_source),
        Campaign = ToSnapshot(_campaign),
        UtmSource = ToSnapshot(_utmSource),
        UtmMedium = ToSnapshot(_utmMedium),
        UtmCampaign = ToSnapshot(_utmCampaign),
        SignupAt = Ticks(_signupAt),
        FirstSeenAt = Ticks(_firstSeenAt),
        LastActiveAt = Ticks(_lastActiveAt),
        LastLoginAt = Ticks(_lastLoginAt),
        PlanLog = [.. _planLog.Select(p => ToSnapshot(p)!)],
        Touches = [.. _touches.Select(t => ToSnapshot(t)!)],
        Days = [.. Days.Select(b => new DaySnapshot(b.Day, b.Events, b.Analyses, b.Uploads, b.Sessions,
            b.SessionSeconds, b.Logins, b.FeatureUses, b.LastAtTicks, b.SessionsEnded, b.ProcessingTimeSum, b.ProcessingTimeCount,
            b.AccuracySum, b.AccuracyCount, b.Features))],
        Features = _featureNames,
        FeatureFirstUse = _featureFirstUse,
        FeatureUses = _featureUses,
        ActiveWeeks = _activeWeeks,
        SupportTickets = _supportTickets,
        PaymentFailures = _paymentFailures,
        Payments = [.. _payments.Select(p => new PaymentSnapshot(p.AtTicks, p.Amount, p.FromStripe))],
        StripeSubscriptions = _stripeSubscriptions.Length == 0 ? null : _stripeSubscriptions,
        Refunds = _refunds.Length == 0 ? null : [.. _refunds.Select(r => new RefundSnapshot(r.ChargeId, r.AtTicks, r.Refunded, r.MessageId))],
        Cancellations = _cancellations,
        Exposures = [.. _exposures.Select(x => new ExposureSnapshot(x.Experiment, x.Variant, x.AtTicks, x.MessageId))],
        Subscription = Subscription,
        Activation = [.. ((ReadOnlySpan<long>)_activation).ToArray().Select(Ticks)],
        Monetization = [.. ((ReadOnlySpan<long>)_monetization).ToArray().Select(Ticks)],
        FirstSession = Ticks(_firstSession),
        SecondSession = Ticks(_secondSession),
        SegmentHistory = [.. SegmentHistory],
        TimelineDirtyFrom = TimelineDirtyFrom,
        TimelineThrough = TimelineThrough,
        SegmentPath = [.. SegmentPath],
        PathDirtyFrom = PathDirtyFrom,
    };

    /// <summary>The model of a snapshot; throws <see cref="ArgumentException"/> on one that does not hold together.</summary>
    public static UserModel FromSnapshot(UserSnapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Traits is null || s.PlanLog is null || s.Days is null || s.Features is null || s.FeatureFirstUse is null
            || s.Touches is null || s.SupportTickets is null || s.PaymentFailures is null || s.Payments is null || s.SegmentHistory is null
            || s.SegmentPath is null || s.Activation is null || s.Monetization is null
            || s.FeatureUses is null || s.ActiveWeeks is null
            || s.Features.Length != s.FeatureFirstUse.Length || s.Features.Length != s.FeatureUses.Length || s.Activation.Length != 5 || s.Monetization.Length != 5)
        {
            throw new ArgumentException("inconsistent user snapshot", nameof(s));
        }
        var model = new UserModel
        {
            EventsApplied = s.EventsApplied,
            _traits = [.. s.Traits.Select(t => new Trait(SharedStrings.Intern(t.K), new Stamped(SharedStrings.Reuse(t.V), t.T, t.M)))
                .OrderBy(t => t.Key, StringComparer.Ordinal)],
            _email = FromSnapshot(s.Email, shared: false),
            _device = FromSnapshot(s.Device),
            _source = FromSnapshot(s.Source),
            _campaign = FromSnapshot(s.Campaign),
            _utmSource = FromSnapshot(s.UtmSource),
            _utmMedium = FromSnapshot(s.UtmMedium),
            _utmCampaign = FromSnapshot(s.UtmCampaign),
            _signupAt = s.SignupAt ?? NoTime,
            _firstSeenAt = s.FirstSeenAt ?? NoTime,
            _lastActiveAt = s.LastActiveAt ?? NoTime,
            _lastLoginAt = s.LastLoginAt ?? NoTime,
            _planLog = [.. s.PlanLog.Select(p => FromSnapshot(p))],
            _touches = [.. s.Touches.Select(t => FromSnapshot(t)).Order(Comparer<Stamped>.Create(CompareStamped)).Distinct()],
            _days = new PackedDay[s.Days.Length],
            _featureNames = [.. s.Features.Select(SharedStrings.Intern)],
            _featureFirstUse = s.FeatureFirstUse,
            _featureUses = s.FeatureUses,
            _activeWeeks = [.. s.ActiveWeeks.Order().Distinct()],
            _supportTickets = s.SupportTickets,
            _paymentFailures = s.PaymentFailures,
            _payments = [.. s.Payments.Select(p => new Payment(p.T, p.A, p.S))],
            _stripeSubscriptions = [.. (s.StripeSubscriptions ?? []).Order(Comparer<Revenue.SubscriptionObservation>.Create(Revenue.SubscriptionObservation.InOrder))],
            _refunds = [.. (s.Refunds ?? []).Select(r => new Refund(r.C, r.T, r.R, r.M)).OrderBy(r => r.AtTicks).ThenBy(r => r.MessageId, StringComparer.Ordinal)],
            _cancellations = s.Cancellations ?? [],
            _exposures = [.. (s.Exposures ?? []).Select(x => new Exposure(SharedStrings.Intern(x.X), SharedStrings.Intern(x.V), x.T, x.M))
                .OrderBy(x => x.Experiment, StringComparer.Ordinal)],
            Subscription = s.Subscription is { } sub ? sub with { Plan = sub.Plan is null ? null : SharedStrings.Intern(sub.Plan) } : null,
            _firstSession = s.FirstSession ?? NoTime,
            _secondSession = s.SecondSession ?? NoTime,
            _segmentHistory = s.SegmentHistory.Length == 0 ? null
                : [.. s.SegmentHistory.Select(c => new SegmentChange(c.Date, SharedStrings.Intern(c.From), SharedStrings.Intern(c.To)))],
            TimelineDirtyFrom = s.TimelineDirtyFrom,
            TimelineThrough = s.TimelineThrough,
            SegmentPath = [.. s.SegmentPath.Select(p => new SegmentStep(p.Day, SharedStrings.Intern(p.Segment)))],
            PathDirtyFrom = s.PathDirtyFrom,
        };
        foreach (var d in s.Days.OrderBy(d => d.D))
        {
            if (model._dayCount > 0 && model._days[model._dayCount - 1].Day >= d.D)
            {
                throw new ArgumentException($"day {d.D} appears twice in the user snapshot", nameof(s));
            }
            model.Store(model._dayCount++, new DayBucket
            {
                Day = d.D, Events = d.E, Analyses = d.A, Uploads = d.U, Sessions = d.S, SessionSeconds = d.SS, Logins = d.L,
                FeatureUses = d.FU, LastAtTicks = d.T, SessionsEnded = d.SE, ProcessingTimeSum = d.PS, ProcessingTimeCount = d.PC,
                AccuracySum = d.AS, AccuracyCount = d.AC,
                Features = d.F is { Length: > 0 } f ? SharedStrings.InternSet([.. f.Select(SharedStrings.Intern).Order(StringComparer.Ordinal).Distinct()]) : null,
            });
        }
        for (var i = 0; i < 5; i++)
        {
            model._activation[i] = s.Activation[i] ?? NoTime;
            model._monetization[i] = s.Monetization[i] ?? NoTime;
        }
        return model;
    }

    private static StampedSnapshot? ToSnapshot(Stamped stamped)
        => stamped.Value is null ? null : new StampedSnapshot(stamped.Value, stamped.AtTicks, stamped.MessageId);

    private static Stamped FromSnapshot(StampedSnapshot? s, bool shared = true)
        => s is null ? default : new Stamped(shared ? SharedStrings.Intern(s.V) : s.V, s.T, s.M);

    private static long? Ticks(long ticks) => ticks == NoTime ? null : ticks;
}
