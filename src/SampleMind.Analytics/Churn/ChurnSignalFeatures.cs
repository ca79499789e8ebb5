using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Churn;

/// <summary>
/// The churn model's billing and support signals as of a moment: what a person losing interest or losing their card
/// leaves in the log before they go. A failed charge is retried and the third failure in a row cancels, so the
/// failures since the last successful payment say more than a 30-day count; tickets come more often while disengaging.
/// </summary>
/// <param name="PaymentFailuresInRow">payment_failed events after the last payment_succeeded and the last cancellation.</param>
/// <param name="DaysSincePaymentFailure">Days since the last payment_failed (<see cref="ChurnModelFeatures.NoEventDays"/> when none).</param>
/// <param name="DaysSincePayment">Days since the last payment_succeeded (the renewal's phase; <see cref="ChurnModelFeatures.NoEventDays"/> when none).</param>
/// <param name="DaysSinceSupportTicket">Days since the last support_ticket_opened (<see cref="ChurnModelFeatures.NoEventDays"/> when none).</param>
/// <param name="SupportTickets14d">support_ticket_opened events in the last 14 days.</param>
/// <param name="PaymentFailuresTotal">Every payment_failed so far: how often this person's card fails.</param>
public readonly record struct ChurnSignalFeatures(
    int PaymentFailuresInRow,
    double DaysSincePaymentFailure,
    double DaysSincePayment,
    double DaysSinceSupportTicket,
    int SupportTickets14d,
    int PaymentFailuresTotal)
{
    /// <summary>The signals of <paramref name="model"/> from its events at or before <paramref name="at"/>.</summary>
    public static ChurnSignalFeatures Of(UserModel model, DateTimeOffset at)
    {
        var now = at.UtcTicks;
        var lastPayment = long.MinValue;
        foreach (var p in model.Payments)
        {
            if (p.AtTicks <= now)
            {
                lastPayment = p.AtTicks;
            }
        }
        var resetAt = Math.Max(lastPayment, Last(model.CancellationTicks, now));
        int inRow = 0, total = 0;
        foreach (var t in model.PaymentFailureTicks)
        {
            if (t <= now)
            {
                total++;
                if (t > resetAt)
                {
                    inRow++;
                }
            }
        }
        var fortnightAgo = at.AddDays(-14).UtcTicks;
        var tickets14 = 0;
        foreach (var t in model.SupportTicketTicks)
        {
            if (t > fortnightAgo && t <= now)
            {
                tickets14++;
            }
        }
        return new ChurnSignalFeatures(
            inRow,
            DaysSince(Last(model.PaymentFailureTicks, now), now),
            DaysSince(lastPayment, now),
            DaysSince(Last(model.SupportTicketTicks, now), now),
            tickets14,
            total);
    }

    /// <summary>The latest of ascending <paramref name="ticks"/> at or before <paramref name="now"/>; long.MinValue when none.</summary>
    private static long Last(ReadOnlySpan<long> ticks, long now)
    {
        for (var i = ticks.Length - 1; i >= 0; i--)
        {
            if (ticks[i] <= now)
            {
                return ticks[i];
            }
        }
        return long.MinValue;
    }

    private static double DaysSince(long ticks, long now)
        => ticks == long.MinValue
            ? ChurnModelFeatures.NoEventDays
            : Math.Min(ChurnModelFeatures.NoEventDays, (now - ticks) / (double)TimeSpan.TicksPerDay);
}
