namespace SampleMind.Analytics.Kpis;

/// <summary>
/// The additive figures behind one UTC day's KPI row: counts and exact (decimal) sums, so that adding users'
/// contributions in any order, and subtracting old ones, gives the same totals as SQL over the event log.
/// </summary>
public sealed class KpiDayFigures
{
    public int Dau { get; set; }
    public int Wap { get; set; }
    public int NewSignups { get; set; }
    public int Sessions { get; set; }
    public long SessionSeconds { get; set; }
    public decimal Revenue { get; set; }
    public int Payments { get; set; }
    public int PayingCustomers { get; set; }
    public int Analyses { get; set; }
    public decimal ProcessingTimeSum { get; set; }
    public int ProcessingTimeCount { get; set; }
    public decimal AccuracySum { get; set; }
    public int AccuracyCount { get; set; }

    /// <summary>Sum of the day's <c>analysis_feedback</c> ratings (1–5) and their count: the AI Analysis Quality Score.</summary>
    public decimal RatingSum { get; set; }
    public int RatingCount { get; set; }

    private SortedDictionary<string, int>? _featureUsers;
    private SortedDictionary<long, int>? _ttfvSeconds;

    /// <summary>
    /// Per feature name, how many users used it that day (features_adopted counts the names above zero). Created on first
    /// use: most of a user's day shares name no feature, and user grains build several shares per ingest.
    /// </summary>
    public SortedDictionary<string, int> FeatureUsers
    {
        get => _featureUsers ??= new(StringComparer.Ordinal);
        set => _featureUsers = value;
    }

    /// <summary>
    /// Time to First Value of the people who signed up this day: per whole number of seconds from signup to the first
    /// <c>analysis_completed</c>, how many people took that long (see <see cref="TimeToFirstValue"/>).
    /// </summary>
    public SortedDictionary<long, int> TtfvSeconds
    {
        get => _ttfvSeconds ??= [];
        set => _ttfvSeconds = value;
    }

    public bool IsZero =>
        Dau == 0 && Wap == 0 && NewSignups == 0 && Sessions == 0 && SessionSeconds == 0 && Revenue == 0 && Payments == 0
        && PayingCustomers == 0 && Analyses == 0 && ProcessingTimeSum == 0 && ProcessingTimeCount == 0 && AccuracySum == 0
        && AccuracyCount == 0 && RatingSum == 0 && RatingCount == 0
        && (_featureUsers is null || _featureUsers.Values.All(v => v == 0))
        && (_ttfvSeconds is null || _ttfvSeconds.Values.All(v => v == 0));

    /// <summary>Adds <paramref name="other"/> × <paramref name="sign"/> (+1 or −1) to these figures.</summary>
    public void Add(KpiDayFigures other, int sign = 1)
    {
        Dau += sign * other.Dau;
        Wap += sign * other.Wap;
        NewSignups += sign * other.NewSignups;
        Sessions += sign * other.Sessions;
        SessionSeconds += sign * other.SessionSeconds;
        Revenue += sign * other.Revenue;
        Payments += sign * other.Payments;
        PayingCustomers += sign * other.PayingCustomers;
        Analyses += sign * other.Analyses;
        ProcessingTimeSum += sign * other.ProcessingTimeSum;
        ProcessingTimeCount += sign * other.ProcessingTimeCount;
        AccuracySum += sign * other.AccuracySum;
        AccuracyCount += sign * other.AccuracyCount;
        RatingSum += sign * other.RatingSum;
        RatingCount += sign * other.RatingCount;
        if (other._featureUsers is not null)
        {
            AddCounts(FeatureUsers, other._featureUsers, sign);
        }
        if (other._ttfvSeconds is not null)
        {
            AddCounts(TtfvSeconds, other._ttfvSeconds, sign);
        }
    }

    private static void AddCounts<TKey>(SortedDictionary<TKey, int> into, SortedDictionary<TKey, int> other, int sign)
        where TKey : notnull
    {
        foreach (var (key, count) in other)
        {
            var total = into.GetValueOrDefault(key) + sign * count;
            if (total == 0)
            {
                into.Remove(key);
            }
            else
            {
                into[key] = total;
            }
        }
    }

    public KpiDayFigures Clone()
    {
        var copy = new KpiDayFigures();
        copy.Add(this);
        return copy;
    }
}

/// <summary>The seed's KPI day row, derived from a day's figures.</summary>
public sealed record class KpiDayRowValues(
    DateOnly Date,
    int Dau,
    int Wap,
    int NewSignups,
    decimal? AvgSessionLength,
    decimal DailyRevenue,
    int PayingCustomers,
    decimal? AverageTransaction,
    decimal? Arpu,
    int TotalAnalyses,
    decimal? AvgProcessingTime,
    decimal? AvgAccuracy,
    int FeaturesAdopted,
    decimal? ConversionRate,
    decimal? WapRatio,
    decimal? RevenuePerSignup,
    int TtfvPeople,
    long? TtfvMedianSeconds,
    long? TtfvP90Seconds,
    int Ratings,
    decimal? QualityScore)
{
    /// <summary>Ratios are rounded to 6 decimals (both here and in the SQL oracle); null where the denominator is 0.</summary>
    public const int Decimals = 6;

    public static KpiDayRowValues From(DateOnly date, KpiDayFigures f) => new(
        date,
        f.Dau,
        f.Wap,
        f.NewSignups,
        Ratio(f.SessionSeconds, f.Sessions),
        f.Revenue,
        f.PayingCustomers,
        Ratio(f.Revenue, f.Payments),
        Ratio(f.Revenue, f.PayingCustomers),
        f.Analyses,
        Ratio(f.ProcessingTimeSum, f.ProcessingTimeCount),
        Ratio(f.AccuracySum, f.AccuracyCount),
        f.FeatureUsers.Count(p => p.Value > 0),
        Ratio(f.PayingCustomers, f.Dau),
        Ratio(f.Wap, f.Dau),
        Ratio(f.Revenue, f.NewSignups),
        f.TtfvSeconds.Values.Sum(),
        TimeToFirstValue.Percentile(f.TtfvSeconds, 0.5),
        TimeToFirstValue.Percentile(f.TtfvSeconds, 0.9),
        f.RatingCount,
        Ratio(f.RatingSum, f.RatingCount));

    private static decimal? Ratio(decimal numerator, decimal denominator)
        => denominator == 0 ? null : Math.Round(numerator / denominator, Decimals, MidpointRounding.AwayFromZero);
}
