using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Churn;

/// <summary>
/// One training example: a user as of the end of a past UTC day (the cut-off), the model's feature vector then, and
/// what happened in the 30 days after it.
/// </summary>
public sealed record class ChurnExample(
    string UserId,
    int CutoffDay,
    float[] Features,
    bool Churned,
    string Segment,
    string SegmentIn30Days);

/// <summary>The cut-off days (UTC day numbers, ascending) of a training set and the days of the log they come from.</summary>
public sealed record class ChurnTrainingPlan(int FirstDay, int LastDay, IReadOnlyList<int> Cutoffs)
{
    public DateOnly From => DateOnly.FromDayNumber(FirstDay);
    public DateOnly To => DateOnly.FromDayNumber(LastDay);
}

/// <summary>
/// Builds the churn training set from the user event log as of past dates: each user's events are replayed through
/// the production <see cref="UserModel"/> in time order, and at the end of every cut-off day t the model's features
/// are taken. The label looks at the log after t:
/// <list type="bullet">
/// <item>a user on a paid plan at t churned when a <c>subscription_canceled</c> lies in (t, t + 30 days];</item>
/// <item>any other user (free, trial) churned when no event at all lies in (t, t + 30 days].</item>
/// </list>
/// A user is an example at t when they were active in the 30 days up to t (someone silent for longer has already
/// churned). The segment 30 days later (<see cref="ChurnExample.SegmentIn30Days"/>) is the label of the
/// segment-transition model.
/// </summary>
public static class ChurnTrainingSet
{
    public const int HorizonDays = 30;

    /// <summary>Days of log a cut-off needs before it, so the 30-day windows hold something.</summary>
    public const int MinHistoryDays = 14;

    /// <summary>
    /// Cut-offs every <paramref name="stepDays"/> days back from the last day whose 30-day outcome the log holds
    /// (<paramref name="lastDay"/> − 30), down to <paramref name="firstDay"/> + <see cref="MinHistoryDays"/>. With a
    /// smaller <paramref name="fitStepDays"/>, more cut-offs (every <paramref name="fitStepDays"/> days) fill the
    /// dates the trees fit on: those before the step before the calibration date (the latest cut-off whose label window
    /// closes by the first of the <paramref name="testCutoffs"/> test dates), so the test and calibration dates stay
    /// those of the <paramref name="stepDays"/> grid and no fit date lies within a step of the calibration date.
    /// </summary>
    public static ChurnTrainingPlan Plan(
        DateOnly firstDay, DateOnly lastDay, int stepDays = 7, int? fitStepDays = null, int testCutoffs = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepDays, 1);
        var cutoffs = new List<int>();
        var earliest = firstDay.DayNumber + MinHistoryDays;
        for (var t = lastDay.DayNumber - HorizonDays; t >= earliest; t -= stepDays)
        {
            cutoffs.Add(t);
        }
        cutoffs.Reverse();
        if (fitStepDays is { } fitStep && fitStep < stepDays && cutoffs.Count > testCutoffs)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(fitStep, 1);
            var testFrom = cutoffs[^testCutoffs];
            var calibration = cutoffs.LastOrDefault(c => c + HorizonDays <= testFrom, int.MinValue);
            if (calibration != int.MinValue)
            {
                var grid = cutoffs.ToHashSet();
                for (var t = calibration - stepDays; t >= earliest; t -= fitStep)
                {
                    if (grid.Add(t))
                    {
                        cutoffs.Add(t);
                    }
                }
                cutoffs.Sort();
            }
        }
        return new ChurnTrainingPlan(firstDay.DayNumber, lastDay.DayNumber, cutoffs);
    }

    /// <summary>The examples of one user (any order of <paramref name="events"/>; deduplicated already, as the log is).</summary>
    public static List<ChurnExample> ForUser(string userId, IEnumerable<EventFacts> events, ChurnTrainingPlan plan)
    {
        var ordered = events.OrderBy(e => e.Timestamp).ThenBy(e => e.MessageId, StringComparer.Ordinal).ToArray();
        var examples = new List<ChurnExample>(plan.Cutoffs.Count);
        if (ordered.Length == 0 || plan.Cutoffs.Count == 0)
        {
            return examples;
        }

        // Probe instants: the end of each cut-off day (features) and of the day 30 days later (the segment then).
        var probes = plan.Cutoffs.SelectMany(c => new[] { c, c + HorizonDays }).Distinct().Order().ToArray();
        var pending = new Dictionary<int, (float[] Features, bool Churned, string Segment)>();
        var cutoffSet = plan.Cutoffs.ToHashSet();
        var model = new UserModel { UserId = userId };
        var next = 0;
        foreach (var day in probes)
        {
            var at = UserModel.EndOfDay(day);
            while (next < ordered.Length && ordered[next].Timestamp <= at)
            {
                model.Apply(ordered[next++]);
            }
            if (pending.Remove(day - HorizonDays, out var open))
            {
                examples.Add(new ChurnExample(userId, day - HorizonDays, open.Features, open.Churned, open.Segment, model.SegmentAt(at)));
            }
            if (!cutoffSet.Contains(day) || model.EventsApplied == 0 || model.LastActiveAt <= at.AddDays(-HorizonDays))
            {
                continue;
            }
            var features = ChurnModelFeatures.Vector(model, model.ChurnFeaturesAt(at), at);
            pending[day] = (features, Churned(ordered, next, at, Plans.IsPaid(model.PlanAt(at))), model.SegmentAt(at));
        }
        return examples;
    }

    /// <summary>The label: <paramref name="from"/> is the first event after <paramref name="at"/>.</summary>
    private static bool Churned(EventFacts[] ordered, int from, DateTimeOffset at, bool paid)
    {
        var horizon = at.AddDays(HorizonDays);
        if (!paid)
        {
            return from >= ordered.Length || ordered[from].Timestamp > horizon;
        }
        for (var i = from; i < ordered.Length && ordered[i].Timestamp <= horizon; i++)
        {
            if (ordered[i] is { Type: "track", Name: EventNames.SubscriptionCanceled })
            {
                return true;
            }
        }
        return false;
    }
}
