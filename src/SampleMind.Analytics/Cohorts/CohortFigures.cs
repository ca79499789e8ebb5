using System.Globalization;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Cohorts;

/// <summary>One months-since-signup row of a cohort: users with a payment in that month, and their revenue.</summary>
public sealed class CohortMonthFigures
{
    public int Users { get; set; }
    public decimal Revenue { get; set; }

    public bool IsZero => Users == 0 && Revenue == 0;
}

/// <summary>
/// Additive figures of one signup-month cohort: its size and, per months since signup, the users with revenue and the
/// revenue (a user's share, a delta, or a cohort grain's totals).
/// </summary>
public sealed class CohortFigures
{
    public int Size { get; set; }
    public SortedDictionary<int, CohortMonthFigures> Months { get; set; } = [];

    public bool IsZero => Size == 0 && Months.Values.All(m => m.IsZero);

    public void Add(CohortFigures other, int sign = 1)
    {
        Size += sign * other.Size;
        foreach (var (offset, month) in other.Months)
        {
            if (!Months.TryGetValue(offset, out var into))
            {
                Months[offset] = into = new CohortMonthFigures();
            }
            into.Users += sign * month.Users;
            into.Revenue += sign * month.Revenue;
            if (into.IsZero)
            {
                Months.Remove(offset);
            }
        }
    }
}

/// <summary>Cohort month maths and one user's share of their cohort.</summary>
public static class CohortMath
{
    /// <summary>The cohort key of an instant: its UTC month, "yyyy-MM".</summary>
    public static string MonthKey(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{utc.Year:D4}-{utc.Month:D2}");
    }

    /// <summary>
    /// Whole calendar months from the signup's UTC month to the payment's UTC month (the seed's
    /// <c>DATE_DIFF('month', signup_date, payment_date)</c>: month boundaries crossed, days ignored): Jan 31 → Feb 1 is 1,
    /// Jan 1 → Jan 31 is 0; a payment before the signup month is negative.
    /// </summary>
    public static int MonthsBetween(DateTimeOffset signup, DateTimeOffset payment)
    {
        DateTime s = signup.UtcDateTime, p = payment.UtcDateTime;
        return (p.Year * 12 + p.Month) - (s.Year * 12 + s.Month);
    }

    /// <summary>
    /// A user's share of their signup-month cohort: 1 to its size and, per months since signup, 1 user and the sum of
    /// their <c>payment_succeeded</c> amounts; none before the user has a signup (<see cref="UserModel.SignupAt"/>).
    /// </summary>
    public static (string Cohort, CohortFigures Share)? ShareOf(UserModel model)
    {
        if (model.SignupAt is not { } signup)
        {
            return null;
        }
        var share = new CohortFigures { Size = 1 };
        foreach (var payment in model.Payments)
        {
            var offset = MonthsBetween(signup, payment.At);
            if (!share.Months.TryGetValue(offset, out var month))
            {
                share.Months[offset] = month = new CohortMonthFigures { Users = 1 };
            }
            month.Revenue += payment.Amount;
        }
        return (MonthKey(signup), share);
    }

    /// <summary>Whether events can change a user's cohort share: a payment, a signup, or an identify with created_at.</summary>
    public static bool Touches(IEnumerable<EventFacts> events)
        => events.Any(e => e.CreatedAt is not null
                           || e is { Type: "track", Name: EventNames.PaymentSucceeded or EventNames.SignupStarted });

    /// <summary>The change from one share to another, per cohort (a late earlier signup moves the whole share).</summary>
    public static Dictionary<string, CohortFigures> Delta((string Cohort, CohortFigures Share)? before, (string Cohort, CohortFigures Share)? after)
    {
        var result = new Dictionary<string, CohortFigures>(StringComparer.Ordinal);
        CohortFigures For(string cohort) => result.TryGetValue(cohort, out var f) ? f : result[cohort] = new CohortFigures();
        if (before is { } b)
        {
            For(b.Cohort).Add(b.Share, -1);
        }
        if (after is { } a)
        {
            For(a.Cohort).Add(a.Share);
        }
        foreach (var (cohort, f) in result.ToList())
        {
            if (f.IsZero)
            {
                result.Remove(cohort);
            }
        }
        return result;
    }
}

/// <summary>The derived row of one months-since-signup of a cohort (revenue per user = revenue / users with revenue, as the seed).</summary>
public sealed record class CohortMonthValues(int MonthsSinceSignup, int Users, decimal TotalRevenue, decimal? RevenuePerUser)
{
    public static CohortMonthValues From(int offset, CohortMonthFigures f)
        => new(offset, f.Users, f.Revenue, f.Users == 0 ? null : Math.Round(f.Revenue / f.Users, 6, MidpointRounding.AwayFromZero));
}
