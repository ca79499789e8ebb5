using SampleMind.Analytics.Users;

namespace SampleMind.Revenue;

/// <summary>The "Revenue" section.</summary>
public sealed class RevenueOptions
{
    /// <summary>
    /// What the KPI row's daily_revenue, paying_customers, average_transaction and arpu count: <c>events</c> (default:
    /// every payment_succeeded in the log) or <c>stripe</c> (Stripe's invoice.paid minus charge.refunded). Changing it
    /// applies to new events; run <c>samplemind reconcile --fix --revenue-source …</c> to recompute the past days.
    /// </summary>
    public RevenueSource Source { get; set; } = RevenueSource.Events;
}
