namespace SampleMind.Analytics.Revenue;

/// <summary>
/// One Stripe subscription as one event showed it. Ordered by the event's <c>created</c> time, then the type's rank
/// (created, updated, deleted: <see cref="StripeSubscriptions.RankOf"/>), then the event id, so the latest observation
/// of a subscription, and with it the MRR, does not depend on the order Stripe delivered the events in.
/// </summary>
public sealed record class SubscriptionObservation(
    string SubscriptionId,
    long AtTicks,
    int Rank,
    string EventId,
    string Status,
    decimal Mrr,
    string? Plan,
    string? PriceId,
    long Quantity,
    string? Interval,
    bool CancelAtPeriodEnd,
    string? Coupon,
    string? Currency)
{
    public static readonly Comparison<SubscriptionObservation> InOrder = static (a, b) =>
        a.AtTicks != b.AtTicks ? a.AtTicks.CompareTo(b.AtTicks)
        : a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank)
        : string.CompareOrdinal(a.EventId, b.EventId);

    public int Day => (int)(AtTicks / TimeSpan.TicksPerDay);
}

/// <summary>The MRR movement kinds of ChartMogul.</summary>
public enum MrrMovementKind
{
    New,
    Expansion,
    Contraction,
    Churn,
    Reactivation,
}

/// <summary>A change of one person's end-of-day MRR: <paramref name="Amount"/> is the signed change (churn and contraction negative).</summary>
public readonly record struct MrrMovement(int Day, MrrMovementKind Kind, decimal Amount);

/// <summary>
/// MRR movements per person per UTC day (ChartMogul's definitions), from the person's subscription observations: the
/// person's MRR at the end of each day is Σ over subscriptions of the latest observation up to then; between two
/// end-of-day values 0 → &gt;0 is <em>new</em> the first time and <em>reactivation</em> after, &gt;0 → 0 is
/// <em>churn</em>, up is <em>expansion</em>, down (still &gt;0) is <em>contraction</em>. Changes within a day that end
/// where they started are no movement.
/// </summary>
public static class MrrMovements
{
    /// <summary>The person's movements, in day order (observations in any order).</summary>
    public static List<MrrMovement> Of(IReadOnlyList<SubscriptionObservation> observations)
    {
        var movements = new List<MrrMovement>();
        if (observations.Count == 0)
        {
            return movements;
        }
        var ordered = observations.ToArray();
        Array.Sort(ordered, SubscriptionObservation.InOrder);
        var current = new Dictionary<string, decimal>(StringComparer.Ordinal);
        decimal previous = 0, total = 0;
        var everPaid = false;
        for (var i = 0; i < ordered.Length; i++)
        {
            var o = ordered[i];
            total += o.Mrr - current.GetValueOrDefault(o.SubscriptionId);
            current[o.SubscriptionId] = o.Mrr;
            if (i + 1 < ordered.Length && ordered[i + 1].Day == o.Day)
            {
                continue; // only the end of the day counts
            }
            if (Classify(previous, total, everPaid) is { } kind)
            {
                movements.Add(new MrrMovement(o.Day, kind, total - previous));
            }
            everPaid |= total > 0;
            previous = total;
        }
        return movements;
    }

    public static MrrMovementKind? Classify(decimal before, decimal after, bool paidEarlier)
        => before == after ? null
        : before == 0 ? (paidEarlier ? MrrMovementKind.Reactivation : MrrMovementKind.New)
        : after == 0 ? MrrMovementKind.Churn
        : after > before ? MrrMovementKind.Expansion
        : MrrMovementKind.Contraction;

    /// <summary>The person's share of each day's movement figures.</summary>
    public static Dictionary<int, MrrDayFigures> ShareOf(IReadOnlyList<SubscriptionObservation> observations)
    {
        var share = new Dictionary<int, MrrDayFigures>();
        foreach (var m in Of(observations))
        {
            var f = new MrrDayFigures();
            f.Add(m);
            share[m.Day] = f;
        }
        return share;
    }

    /// <summary>After minus before, per day; days whose share did not change are left out.</summary>
    public static Dictionary<int, MrrDayFigures> Delta(Dictionary<int, MrrDayFigures> before, Dictionary<int, MrrDayFigures> after)
    {
        var delta = new Dictionary<int, MrrDayFigures>();
        foreach (var day in before.Keys.Union(after.Keys))
        {
            var d = new MrrDayFigures();
            if (after.TryGetValue(day, out var a))
            {
                d.Add(a);
            }
            if (before.TryGetValue(day, out var b))
            {
                d.Add(b, -1);
            }
            if (!d.IsZero)
            {
                delta[day] = d;
            }
        }
        return delta;
    }
}

/// <summary>Additive movement figures of one UTC day (a person's share, a delta, or the whole day).</summary>
public sealed class MrrDayFigures
{
    public decimal New { get; set; }
    public decimal Expansion { get; set; }
    /// <summary>Negative (MRR lost by people who still pay).</summary>
    public decimal Contraction { get; set; }
    /// <summary>Negative (MRR lost by people who stopped paying).</summary>
    public decimal Churn { get; set; }
    public decimal Reactivation { get; set; }
    public int NewCustomers { get; set; }
    public int ReactivatedCustomers { get; set; }
    public int ChurnedCustomers { get; set; }

    public decimal Net => New + Expansion + Contraction + Churn + Reactivation;

    /// <summary>The change of the number of paying customers over the day.</summary>
    public int CustomerChange => NewCustomers + ReactivatedCustomers - ChurnedCustomers;

    public bool IsZero => New == 0 && Expansion == 0 && Contraction == 0 && Churn == 0 && Reactivation == 0
        && NewCustomers == 0 && ReactivatedCustomers == 0 && ChurnedCustomers == 0;

    public void Add(MrrMovement m)
    {
        switch (m.Kind)
        {
            case MrrMovementKind.New:
                New += m.Amount;
                NewCustomers++;
                break;
            case MrrMovementKind.Reactivation:
                Reactivation += m.Amount;
                ReactivatedCustomers++;
                break;
            case MrrMovementKind.Churn:
                Churn += m.Amount;
                ChurnedCustomers++;
                break;
            case MrrMovementKind.Expansion:
                Expansion += m.Amount;
                break;
            case MrrMovementKind.Contraction:
                Contraction += m.Amount;
                break;
        }
    }

    public void Add(MrrDayFigures other, int sign = 1)
    {
        New += sign * other.New;
        Expansion += sign * other.Expansion;
        Contraction += sign * other.Contraction;
        Churn += sign * other.Churn;
        Reactivation += sign * other.Reactivation;
        NewCustomers += sign * other.NewCustomers;
        ReactivatedCustomers += sign * other.ReactivatedCustomers;
        ChurnedCustomers += sign * other.ChurnedCustomers;
    }

    public bool SameAs(MrrDayFigures o) => New == o.New && Expansion == o.Expansion && Contraction == o.Contraction
        && Churn == o.Churn && Reactivation == o.Reactivation && NewCustomers == o.NewCustomers
        && ReactivatedCustomers == o.ReactivatedCustomers && ChurnedCustomers == o.ChurnedCustomers;
}

/// <summary>One day of the MRR report: the day's movements, and MRR and customers at the end of the day.</summary>
public sealed record class MrrDayRowValues(DateOnly Date, decimal Mrr, decimal New, decimal Expansion, decimal Contraction,
    decimal Churn, decimal Reactivation, decimal Net, int Customers);

/// <summary>Running totals over the days' movements.</summary>
public static class MrrReport
{
    /// <summary>
    /// Every day from <paramref name="from"/> to <paramref name="to"/> (day numbers); MRR and customers at the end of a
    /// day are the sums of every earlier movement (the MRR before the first movement is 0).
    /// </summary>
    public static List<MrrDayRowValues> Rows(IReadOnlyDictionary<int, MrrDayFigures> days, int from, int to)
    {
        decimal mrr = 0;
        var customers = 0;
        foreach (var (day, f) in days)
        {
            if (day < from)
            {
                mrr += f.Net;
                customers += f.CustomerChange;
            }
        }
        var rows = new List<MrrDayRowValues>(Math.Max(0, to - from + 1));
        for (var day = from; day <= to; day++)
        {
            var f = days.TryGetValue(day, out var figures) ? figures : new MrrDayFigures();
            mrr += f.Net;
            customers += f.CustomerChange;
            rows.Add(new MrrDayRowValues(DateOnly.FromDayNumber(day), mrr, f.New, f.Expansion, f.Contraction, f.Churn, f.Reactivation, f.Net, customers));
        }
        return rows;
    }
}
