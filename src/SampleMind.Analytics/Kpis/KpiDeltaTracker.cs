using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Kpis;

/// <summary>The change one ingest made to the KPI figures: per day, and WAP per ISO week.</summary>
public sealed record class KpiDeltas(IReadOnlyDictionary<int, KpiDayFigures> Days, IReadOnlyDictionary<IsoWeek, int> WeeklyWap)
{
    public static readonly KpiDeltas None = new(new Dictionary<int, KpiDayFigures>(), new Dictionary<IsoWeek, int>());

    public bool IsEmpty => Days.Count == 0 && WeeklyWap.Count == 0;
}

/// <summary>
/// Captures a user's KPI shares for every day (and ISO week) that a set of events can touch, so that after applying
/// them the exact deltas are the shares after minus the shares before. Days that fall out of the retained activity
/// buckets while applying are left alone: their share was already reported and can no longer be recomputed — except
/// <c>new_signups</c> and Time to First Value, which need no bucket and are reported for any day (an identify's old
/// <c>created_at</c>).
/// </summary>
public sealed class KpiDeltaTracker
{
    private readonly Dictionary<int, KpiDayFigures> _before = [];
    private readonly Dictionary<IsoWeek, int> _beforeWeeks = [];

    private readonly RevenueSource _source;

    private KpiDeltaTracker(RevenueSource source) => _source = source;

    public static KpiDeltaTracker Begin(UserModel model, IEnumerable<EventFacts> events, RevenueSource source = RevenueSource.Events)
    {
        var tracker = new KpiDeltaTracker(source);
        if (model.SignupAt is { } signup)
        {
            tracker.Track(model, UserModel.DayOf(signup));
        }
        foreach (var e in events)
        {
            var day = UserModel.DayOf(e.Timestamp);
            tracker.Track(model, day);
            if (e.CreatedAt is { } created)
            {
                tracker.Track(model, UserModel.DayOf(created));
            }
            if (e.Name == EventNames.PaymentRefunded && e.ChargeId is { } charge)
            {
                // A late refund of a charge moves the refund of each later day of the same charge (cumulative amounts).
                foreach (var refund in model.Refunds)
                {
                    if (refund.ChargeId == charge)
                    {
                        tracker.Track(model, UserModel.DayOf(refund.AtTicks));
                    }
                }
            }
            if (e.Name == EventNames.AnalysisCompleted)
            {
                for (var later = day + 1; later <= day + 6; later++)
                {
                    tracker.Track(model, later);
                }
                var week = IsoWeek.Of(day);
                if (!tracker._beforeWeeks.ContainsKey(week))
                {
                    tracker._beforeWeeks[week] = KpiContributions.WapForWeek(model, week);
                }
            }
        }
        return tracker;
    }

    private void Track(UserModel model, int day)
    {
        if (!_before.ContainsKey(day))
        {
            _before[day] = KpiContributions.ForDay(model, day, _source);
        }
    }

    public KpiDeltas Complete(UserModel model)
    {
        // A signup day that moved (an earlier signup arrived late) is a day that changed too.
        if (model.SignupAt is { } signup && !_before.ContainsKey(UserModel.DayOf(signup)))
        {
            _before[UserModel.DayOf(signup)] = new KpiDayFigures();
        }
        var oldest = model.DayCount == 0 ? int.MinValue : model.NewestDay - UserModel.RetainedDays;
        var days = new Dictionary<int, KpiDayFigures>();
        foreach (var (day, before) in _before)
        {
            if (day - 6 <= oldest)
            {
                // Its 7-day window reaches days no longer retained: its share was reported and stays — all but the
                // signup, a pure function of the signup time that needs no day bucket (the retained horizon, README).
                // Time to First Value is one too (the signup and the first analysis times).
                var after = KpiContributions.ForDay(model, day, _source);
                var moved = new KpiDayFigures { NewSignups = after.NewSignups, TtfvSeconds = after.TtfvSeconds };
                moved.Add(new KpiDayFigures { NewSignups = before.NewSignups, TtfvSeconds = before.TtfvSeconds }, -1);
                if (!moved.IsZero)
                {
                    days[day] = moved;
                }
                continue;
            }
            var delta = KpiContributions.ForDay(model, day, _source);
            delta.Add(before, -1); // the share after minus before, in place
            if (!delta.IsZero)
            {
                days[day] = delta;
            }
        }
        var weeks = new Dictionary<IsoWeek, int>();
        foreach (var (week, before) in _beforeWeeks)
        {
            if (week.FirstDay <= oldest)
            {
                continue;
            }
            var delta = KpiContributions.WapForWeek(model, week) - before;
            if (delta != 0)
            {
                weeks[week] = delta;
            }
        }
        return days.Count == 0 && weeks.Count == 0 ? KpiDeltas.None : new KpiDeltas(days, weeks);
    }
}
