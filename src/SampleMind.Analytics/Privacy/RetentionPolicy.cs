namespace SampleMind.Analytics.Privacy;

/// <summary>The cut-offs of one retention run: what is older than them goes.</summary>
/// <param name="AnalyticsBefore">Raw (non-financial) events before this UTC day, a Monday, are deleted.</param>
/// <param name="FinancialBefore">Financial events (payments, subscriptions) before this UTC day are deleted.</param>
/// <param name="InactiveBefore">A person whose last event is before this instant is inactive (erased).</param>
public sealed record class RetentionCutoffs(DateOnly AnalyticsBefore, DateOnly FinancialBefore, DateTimeOffset InactiveBefore)
{
    /// <summary>
    /// The first day reconcile compares day figures on after a trim at <see cref="AnalyticsBefore"/>: the Monday after
    /// it. The trailing-7-day WAP of a day reads the six days before it, so the first whole week after the cut-off is the
    /// first whose every day (and ISO week) the trimmed log still holds in full.
    /// </summary>
    public DateOnly ReconcileFrom => AnalyticsBefore.AddDays(7);

    /// <summary>True when the policy deletes an event of <paramref name="type"/>/<paramref name="name"/> at <paramref name="at"/>.</summary>
    public bool Deletes(string type, string? name, DateTimeOffset at)
        => at < Start(RetentionPolicy.IsFinancial(type, name) ? FinancialBefore : AnalyticsBefore);

    /// <summary>The instant a cut-off day starts (UTC midnight).</summary>
    public static DateTimeOffset Start(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}

/// <summary>
/// The seed's retention classes: analytics (raw events) a horizon cut back to a Monday, so the week-based figures
/// (WAP per ISO week) of the days kept stay whole; financial records (payment and subscription events) longer; people
/// inactive past their last activity plus a grace period.
/// </summary>
public static class RetentionPolicy
{
    /// <summary>The track events that are financial records (kept for the financial horizon, not the analytics one).</summary>
    public static readonly IReadOnlySet<string> FinancialEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        "payment_added", "payment_succeeded", "payment_failed", "payment_refunded",
        "subscription_started", "subscription_renewed", "subscription_canceled",
    };

    /// <summary>True for a track event that is a financial record.</summary>
    public static bool IsFinancial(string type, string? name) => type == "track" && name is not null && FinancialEvents.Contains(name);

    /// <summary>The SQL list of <see cref="FinancialEvents"/> (for <c>event IN (…)</c>; the names are constants, no input).</summary>
    public static string FinancialEventsSql => string.Join(", ", FinancialEvents.Order(StringComparer.Ordinal).Select(n => $"'{n}'"));

    /// <summary>The cut-offs at <paramref name="now"/> for the given horizons (whole days).</summary>
    public static RetentionCutoffs CutoffsAt(DateTimeOffset now, int analyticsDays, int financialDays, int inactiveDays)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return new RetentionCutoffs(MondayOnOrBefore(today.AddDays(-analyticsDays)), today.AddDays(-financialDays), now.AddDays(-inactiveDays));
    }

    /// <summary>The Monday of <paramref name="day"/>'s ISO week (the day itself when it is a Monday).</summary>
    public static DateOnly MondayOnOrBefore(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}
