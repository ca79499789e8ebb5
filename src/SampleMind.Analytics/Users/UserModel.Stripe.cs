using SampleMind.Analytics.Revenue;

namespace SampleMind.Analytics.Users;

/// <summary>
/// The person's revenue as Stripe reports it: every observation of each subscription (the latest one, by the event's
/// own time, is the subscription now), and the refunds of each charge. Functions of the set of applied events.
/// </summary>
public sealed partial class UserModel
{
    private SubscriptionObservation[] _stripeSubscriptions = []; // SubscriptionObservation.InOrder
    private Refund[] _refunds = []; // by time, then messageId

    /// <summary>Every observation of the person's Stripe subscriptions, in their own order (not arrival order).</summary>
    public IReadOnlyList<SubscriptionObservation> StripeSubscriptionObservations => _stripeSubscriptions;

    public bool HasStripeSubscriptions => _stripeSubscriptions.Length > 0;

    /// <summary>Each Stripe subscription as its latest observation shows it, by subscription id.</summary>
    public IReadOnlyList<SubscriptionObservation> StripeSubscriptionsNow
    {
        get
        {
            var latest = new Dictionary<string, SubscriptionObservation>(StringComparer.Ordinal);
            foreach (var o in _stripeSubscriptions)
            {
                latest[o.SubscriptionId] = o; // in order: the last one wins
            }
            return [.. latest.Values.OrderBy(o => o.SubscriptionId, StringComparer.Ordinal)];
        }
    }

    /// <summary>The person's MRR as Stripe says it is (Σ of the subscriptions' latest normalised MRR).</summary>
    public decimal Mrr => StripeSubscriptionsNow.Sum(o => o.Mrr);

    /// <summary>Every refund, by time.</summary>
    public ReadOnlySpan<Refund> Refunds => _refunds;

    /// <summary>Σ over charges of the largest amount refunded Stripe reported.</summary>
    public decimal Refunded => _refunds.GroupBy(r => r.ChargeId, StringComparer.Ordinal).Sum(g => g.Max(r => r.Refunded));

    /// <summary>
    /// The refunds of a UTC day: per charge, its amount refunded at the end of the day minus at the end of the day before
    /// (Stripe reports the cumulative amount, so two deliveries of the same figure count once, in any order).
    /// </summary>
    public decimal RefundsOn(int day)
    {
        decimal total = 0;
        foreach (var charge in _refunds.GroupBy(r => r.ChargeId, StringComparer.Ordinal))
        {
            decimal before = 0, through = 0;
            foreach (var r in charge)
            {
                var d = DayOf(r.AtTicks);
                if (d < day)
                {
                    before = Math.Max(before, r.Refunded);
                }
                if (d <= day)
                {
                    through = Math.Max(through, r.Refunded);
                }
            }
            total += through - before;
        }
        return total;
    }

    /// <summary>
    /// The revenue and number of payments of a UTC day as Stripe reports it: the day's invoice.paid payments minus the
    /// day's refunds (<see cref="RefundsOn"/>).
    /// </summary>
    public (decimal Revenue, int Payments) StripeRevenueOn(int day)
    {
        decimal revenue = 0;
        var count = 0;
        foreach (var p in _payments)
        {
            if (p.FromStripe && DayOf(p.AtTicks) == day)
            {
                revenue += p.Amount;
                count++;
            }
        }
        return (revenue - RefundsOn(day), count);
    }

    /// <summary>The revenue of a day from the chosen source (<see cref="RevenueSource"/>).</summary>
    public (decimal Revenue, int Payments) RevenueOn(int day, RevenueSource source)
        => source == RevenueSource.Stripe ? StripeRevenueOn(day) : RevenueOn(day);

    private void ApplyStripeSubscription(EventFacts e)
    {
        if (e.StripeSubscription is not { } o)
        {
            return;
        }
        o = o with
        {
            SubscriptionId = SharedStrings.Reuse(o.SubscriptionId),
            Status = SharedStrings.Intern(o.Status),
            Plan = o.Plan is null ? null : SharedStrings.Intern(o.Plan),
            PriceId = o.PriceId is null ? null : SharedStrings.Intern(o.PriceId),
            Interval = o.Interval is null ? null : SharedStrings.Intern(o.Interval),
            Currency = o.Currency is null ? null : SharedStrings.Intern(o.Currency),
        };
        _stripeSubscriptions = InsertedSorted(_stripeSubscriptions, o, SubscriptionObservation.InOrder);
    }

    private void ApplyRefund(EventFacts e)
    {
        if (e.ChargeId is not { } charge || e.Amount is not { } refunded)
        {
            return;
        }
        _refunds = InsertedSorted(_refunds, new Refund(charge, e.Timestamp.UtcTicks, refunded, e.MessageId),
            static (a, b) => a.AtTicks != b.AtTicks ? a.AtTicks.CompareTo(b.AtTicks) : string.CompareOrdinal(a.MessageId, b.MessageId));
    }
}

/// <summary>What the KPI revenue columns (daily_revenue, paying_customers, arpu) count (<c>Revenue:Source</c>).</summary>
public enum RevenueSource
{
    /// <summary>Every payment_succeeded event in the log (the product's own, and Stripe's invoice.paid when webhooks are on).</summary>
    Events,

    /// <summary>Stripe's invoice.paid minus charge.refunded, from the webhooks.</summary>
    Stripe,
}
