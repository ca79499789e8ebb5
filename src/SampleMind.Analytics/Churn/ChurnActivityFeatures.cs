using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Churn;

/// <summary>
/// The shape of a person's recent activity against their own past, from the day buckets (a day is active when it holds
/// any event): the last 14 days against the 14 before; the last 7 and 14 days, and a recency-weighted active share
/// (each day weighs <see cref="Decay"/> per day of age: a fade shows in it before a 7-day count moves), against the
/// person's own rate; the current silent streak against the longest earlier one. A quiet spell no longer than the
/// person's earlier quiet spells (which ended) reads differently from a silence longer than any before.
/// </summary>
/// <param name="ActiveDays14">Active days in the last 14 days (today included).</param>
/// <param name="ActiveDaysPrior14">Active days in the 14 days before those.</param>
/// <param name="HistoryActiveRate">
/// Active days / days since the first active day, over at most the last <see cref="HistoryDays"/> days.
/// </param>
/// <param name="Recent7VsHistory">The last 7 days' active share / <see cref="HistoryActiveRate"/> (0 when that is 0).</param>
/// <param name="Recent14VsHistory">The last 14 days' active share / <see cref="HistoryActiveRate"/> (0 when that is 0).</param>
/// <param name="SilentDays">Whole days since the last active day (0: active today).</param>
/// <param name="LongestEarlierSilence">The longest run of silent days between two active days, before the current streak.</param>
/// <param name="WeightedVsHistory">
/// Σ over active days of <see cref="Decay"/>^age / Σ over all days since the first of the same, / <see cref="HistoryActiveRate"/>.
/// </param>
public readonly record struct ChurnActivityFeatures(
    int ActiveDays14,
    int ActiveDaysPrior14,
    double HistoryActiveRate,
    double Recent7VsHistory,
    double Recent14VsHistory,
    int SilentDays,
    int LongestEarlierSilence,
    double WeightedVsHistory)
{
    /// <summary>The daily decay of the recency weight (a weight halves in about three days).</summary>
    public const double Decay = 0.8;

    /// <summary>Days of buckets the personal rate and the earlier silences look back over.</summary>
    public const int HistoryDays = 90;

    /// <summary>The current silent streak / the longest earlier one (at least 1 day): above 1, longer than any before.</summary>
    public double SilenceVsLongest => SilentDays / (double)Math.Max(1, LongestEarlierSilence);

    /// <summary>The activity shape of <paramref name="model"/> as of the end of <paramref name="today"/>'s events (a UTC day number).</summary>
    public static ChurnActivityFeatures Of(UserModel model, int today)
    {
        int active7 = 0, active14 = 0, prior14 = 0, history = 0, longest = 0;
        int first = int.MinValue, previous = int.MinValue;
        var weighted = 0.0;
        for (var i = 0; i < model.DayCount; i++)
        {
            var d = model.RetainedDay(i);
            if (d <= today - HistoryDays)
            {
                continue;
            }
            if (d > today)
            {
                break;
            }
            if (first == int.MinValue)
            {
                first = d;
            }
            else
            {
                longest = Math.Max(longest, d - previous - 1);
            }
            previous = d;
            history++;
            weighted += Math.Pow(Decay, today - d);
            if (d > today - 7)
            {
                active7++;
            }
            if (d > today - 14)
            {
                active14++;
            }
            else if (d > today - 28)
            {
                prior14++;
            }
        }
        if (first == int.MinValue)
        {
            return new ChurnActivityFeatures(0, 0, 0, 0, 0, HistoryDays, 0, 0);
        }
        var span = today - first + 1;
        var rate = history / (double)span;
        var weights = (1 - Math.Pow(Decay, span)) / (1 - Decay); // Σ Decay^k, k = 0 … span − 1
        return new ChurnActivityFeatures(
            active14,
            prior14,
            Round(rate),
            Round(active7 / (double)Math.Min(7, span) / rate),
            Round(active14 / (double)Math.Min(14, span) / rate),
            today - previous,
            longest,
            Round(weighted / weights / rate));
    }

    private static double Round(double value) => Math.Round(value, 4, MidpointRounding.ToEven);
}
