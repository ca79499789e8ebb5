using SampleMind.Analytics.Kpis;

namespace SampleMind.Kpis;

/// <summary>Between the analytics figures and their wire form.</summary>
public static class KpiMapping
{
    public static KpiDayTotals ToWire(this KpiDayFigures f) => new()
    {
        Dau = f.Dau,
        Wap = f.Wap,
        NewSignups = f.NewSignups,
        Sessions = f.Sessions,
        SessionSeconds = f.SessionSeconds,
        Revenue = f.Revenue,
        Payments = f.Payments,
        PayingCustomers = f.PayingCustomers,
        Analyses = f.Analyses,
        ProcessingTimeSum = f.ProcessingTimeSum,
        ProcessingTimeCount = f.ProcessingTimeCount,
        AccuracySum = f.AccuracySum,
        AccuracyCount = f.AccuracyCount,
        FeatureUsers = new Dictionary<string, int>(f.FeatureUsers, StringComparer.Ordinal),
        TtfvSeconds = new Dictionary<long, int>(f.TtfvSeconds),
        RatingSum = f.RatingSum,
        RatingCount = f.RatingCount,
    };

    public static KpiDayFigures ToFigures(this KpiDayTotals t)
    {
        var f = new KpiDayFigures
        {
            Dau = t.Dau,
            Wap = t.Wap,
            NewSignups = t.NewSignups,
            Sessions = t.Sessions,
            SessionSeconds = t.SessionSeconds,
            Revenue = t.Revenue,
            Payments = t.Payments,
            PayingCustomers = t.PayingCustomers,
            Analyses = t.Analyses,
            ProcessingTimeSum = t.ProcessingTimeSum,
            ProcessingTimeCount = t.ProcessingTimeCount,
            AccuracySum = t.AccuracySum,
            AccuracyCount = t.AccuracyCount,
            RatingSum = t.RatingSum,
            RatingCount = t.RatingCount,
        };
        foreach (var (feature, users) in t.FeatureUsers)
        {
            f.FeatureUsers[feature] = users;
        }
        // State written before TTFV existed may hold no map.
        foreach (var (seconds, people) in t.TtfvSeconds ?? [])
        {
            f.TtfvSeconds[seconds] = people;
        }
        return f;
    }

    public static KpiDayRow ToRow(this KpiDayFigures f, DateOnly date)
    {
        var v = KpiDayRowValues.From(date, f);
        return new KpiDayRow
        {
            Date = v.Date,
            Dau = v.Dau,
            Wap = v.Wap,
            NewSignups = v.NewSignups,
            AvgSessionLength = v.AvgSessionLength,
            DailyRevenue = v.DailyRevenue,
            PayingCustomers = v.PayingCustomers,
            AverageTransaction = v.AverageTransaction,
            Arpu = v.Arpu,
            TotalAnalyses = v.TotalAnalyses,
            AvgProcessingTime = v.AvgProcessingTime,
            AvgAccuracy = v.AvgAccuracy,
            FeaturesAdopted = v.FeaturesAdopted,
            ConversionRate = v.ConversionRate,
            WapRatio = v.WapRatio,
            RevenuePerSignup = v.RevenuePerSignup,
            TtfvPeople = v.TtfvPeople,
            TtfvMedianSeconds = v.TtfvMedianSeconds,
            TtfvP90Seconds = v.TtfvP90Seconds,
            Ratings = v.Ratings,
            QualityScore = v.QualityScore,
        };
    }

    public static string DayKey(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
