using System.Globalization;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Kpis;

/// <summary>
/// One user's share of the KPI figures of a day (and of an ISO week's WAP). Every figure is a pure function of the
/// user's applied events, so a user grain can report exact deltas: the share after applying events minus the share before.
/// </summary>
public static class KpiContributions
{
    /// <summary>
    /// The user's share of day <paramref name="day"/> (a <see cref="DateOnly.DayNumber"/>); the revenue columns from
    /// <paramref name="source"/> (<c>Revenue:Source</c>).
    /// </summary>
    public static KpiDayFigures ForDay(UserModel model, int day, RevenueSource source = RevenueSource.Events)
    {
        var figures = new KpiDayFigures
        {
            Wap = SegmentRules.IsWeeklyActiveProducer(AnalysesBetween(model, day - 6, day)) ? 1 : 0,
            NewSignups = model.SignupAt is { } signup && UserModel.DayOf(signup) == day ? 1 : 0,
        };
        if (figures.NewSignups == 1 && TimeToFirstValue.SecondsOf(model) is { } ttfv)
        {
            figures.TtfvSeconds[ttfv] = 1;
        }
        if (model.TryGetDay(day, out var b) && b.Events > 0)
        {
            var (revenue, payments) = model.RevenueOn(day, source);
            figures.Dau = 1;
            figures.Sessions = b.SessionsEnded;
            figures.SessionSeconds = b.SessionSeconds;
            figures.Revenue = revenue;
            figures.Payments = payments;
            figures.PayingCustomers = payments > 0 ? 1 : 0;
            figures.Analyses = b.Analyses;
            figures.ProcessingTimeSum = b.ProcessingTimeSum;
            figures.ProcessingTimeCount = b.ProcessingTimeCount;
            figures.AccuracySum = b.AccuracySum;
            figures.AccuracyCount = b.AccuracyCount;
            if (b.Features is { } features)
            {
                foreach (var feature in features)
                {
                    figures.FeatureUsers[feature] = 1;
                }
            }
        }
        return figures;
    }

    /// <summary>1 when the user had at least 5 analyses in ISO week <paramref name="week"/>.</summary>
    public static int WapForWeek(UserModel model, IsoWeek week)
        => SegmentRules.IsWeeklyActiveProducer(AnalysesBetween(model, week.FirstDay, week.FirstDay + 6)) ? 1 : 0;

    private static int AnalysesBetween(UserModel model, int from, int to)
    {
        var analyses = 0;
        for (var d = from; d <= to; d++)
        {
            analyses += model.AnalysesOn(d);
        }
        return analyses;
    }
}

/// <summary>An ISO-8601 week (Monday first), e.g. 2026-W27.</summary>
public readonly record struct IsoWeek(int Year, int Week)
{
    public static IsoWeek Of(int dayNumber)
    {
        var date = DateOnly.FromDayNumber(dayNumber).ToDateTime(TimeOnly.MinValue);
        return new IsoWeek(ISOWeek.GetYear(date), ISOWeek.GetWeekOfYear(date));
    }

    /// <summary>The week's Monday as a day number.</summary>
    public int FirstDay => DateOnly.FromDateTime(ISOWeek.ToDateTime(Year, Week, DayOfWeek.Monday)).DayNumber;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-W{Week:D2}");

    public static bool TryParse(string text, out IsoWeek week)
    {
        week = default;
        if (text.Length != 8 || text[4] != '-' || text[5] != 'W'
            || !int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(text.AsSpan(6, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || year < 1 || number < 1 || number > ISOWeek.GetWeeksInYear(year))
        {
            return false;
        }
        week = new IsoWeek(year, number);
        return true;
    }
}
