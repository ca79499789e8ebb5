using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Kpis;

/// <summary>
/// The AI Analysis Quality Score (the seed's secondary north-star metric, 5-point scale, target 4.5): the mean
/// <c>rating</c> of <c>track</c> <c>analysis_feedback</c> events whose rating is a number from 1 to 5, on the event's
/// UTC day. Every figure belongs to one event, so an ingest's share is its new events' own ratings.
/// </summary>
public static class QualityScore
{
    public const double MinRating = 1, MaxRating = 5;

    /// <summary>The rating an event counts with, or null when it is no rated feedback.</summary>
    public static decimal? RatingOf(EventFacts e)
        => e is { Type: "track", Name: EventNames.AnalysisFeedback, Rating: >= MinRating and <= MaxRating and var rating }
            ? (decimal)rating
            : null;

    /// <summary>The rating sums and counts of <paramref name="events"/> per UTC day (a day number).</summary>
    public static Dictionary<int, KpiDayFigures> DaysOf(IEnumerable<EventFacts> events)
    {
        var days = new Dictionary<int, KpiDayFigures>();
        foreach (var e in events)
        {
            if (RatingOf(e) is not { } rating)
            {
                continue;
            }
            var day = UserModel.DayOf(e.Timestamp);
            if (!days.TryGetValue(day, out var f))
            {
                days[day] = f = new KpiDayFigures();
            }
            f.RatingSum += rating;
            f.RatingCount++;
        }
        return days;
    }
}
