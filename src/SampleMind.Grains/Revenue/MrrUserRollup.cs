using SampleMind.Analytics.Revenue;
using SampleMind.Analytics.Users;
using SampleMind.Users;

namespace SampleMind.Revenue;

/// <summary>
/// The MRR movement rollup: the person's movements after the events minus before (a late Stripe event moves the
/// movements of every day it changes). Only ingests with a Stripe subscription event are captured.
/// </summary>
public sealed class MrrUserRollup(IMrrDeltaSink sink) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
        => events.Any(e => e.StripeSubscription is not null)
            ? new Capture(sink, MrrMovements.ShareOf(model.StripeSubscriptionObservations))
            : Nothing.Instance;

    private sealed class Capture(IMrrDeltaSink sink, Dictionary<int, MrrDayFigures> before) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            var delta = MrrMovements.Delta(before, MrrMovements.ShareOf(model.StripeSubscriptionObservations));
            if (delta.Count == 0)
            {
                return;
            }
            var months = new Dictionary<string, MrrMonthFigures>(StringComparer.Ordinal);
            foreach (var (day, figures) in delta)
            {
                var month = MrrMapping.MonthOf(day);
                if (!months.TryGetValue(month, out var m))
                {
                    months[month] = m = new MrrMonthFigures();
                }
                m.Add(day, figures);
            }
            sink.Add(months);
        }
    }

    private sealed class Nothing : IUserRollupCapture
    {
        public static readonly Nothing Instance = new();

        public void Complete(UserModel model)
        {
        }
    }
}
