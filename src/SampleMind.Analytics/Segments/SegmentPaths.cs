using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Segments;

/// <summary>A change point of a user's end-of-day segment path: from <see cref="Day"/> on, the segment is <see cref="Segment"/>.</summary>
public readonly record struct SegmentStep(int Day, string Segment);

/// <summary>
/// Builds a user's end-of-day segment path: <c>SegmentAt(EndOfDay(d))</c> for every day d from the first event on.
/// Without new events the inputs stop moving at a horizon — the trailing-7-day analyses empty a week after the last
/// event, a trial lapses after 14 days, dormancy starts 30 days after the last activity, the account-age bounds sit at
/// 90 days after signup — so the path is finite: a few change points describe the user's segment on every day, past
/// and future. The days are walked with running totals (each day costs a few lookups), and the result equals
/// <see cref="UserModel.SegmentAt"/> at the end of every day (a unit test holds them together).
/// </summary>
public static class SegmentPaths
{
    /// <summary>Appends the change points of the days from <paramref name="from"/> to the horizon to <paramref name="path"/>
    /// (which holds the change points before <paramref name="from"/>).</summary>
    public static void Extend(UserModel model, List<SegmentStep> path, int from)
    {
        var first = model.FirstSeenAt ?? throw new InvalidOperationException("a user without events has no segment path");
        var signup = model.SignupAt ?? first;
        var horizon = Math.Max(UserModel.DayOf(model.LastActiveAt ?? first) + 32, UserModel.DayOf(signup) + 92);
        var previous = path.Count > 0 ? path[^1].Segment : null;
        var walk = new Walk(model, from);
        for (var day = from; day <= horizon; day++)
        {
            var segment = walk.Next();
            if (segment != previous)
            {
                path.Add(new SegmentStep(day, segment));
                previous = segment;
            }
        }
    }

    /// <summary>The segment at the end of each day in turn, with running totals.</summary>
    private sealed class Walk
    {
        private readonly UserModel _model;
        private readonly int[] _featureDays;
        private readonly DateTimeOffset _signup;
        private int _day;
        private int _analyses;
        private int _features;
        private int _payment;
        private decimal _revenue;
        private int _plan;
        private Stamped? _planInForce;
        private int? _lastBucketDay;

        public Walk(UserModel model, int from)
        {
            _model = model;
            _signup = model.SignupAt ?? model.FirstSeenAt!.Value;
            _featureDays = [.. model.FeatureFirstUses.Select(UserModel.DayOf).Order()];
            _day = from - 1;
            for (var d = _day - 6; d <= _day; d++)
            {
                _analyses += AnalysesOn(d);
            }
            for (var d = _day; d > _day - UserModel.RetainedDays; d--)
            {
                if (model.HasDay(d))
                {
                    _lastBucketDay = d;
                    break;
                }
            }
            CatchUp();
        }

        public string Next()
        {
            _day++;
            _analyses += AnalysesOn(_day) - AnalysesOn(_day - 7);
            if (_model.HasDay(_day))
            {
                _lastBucketDay = _day;
            }
            CatchUp();

            var at = UserModel.EndOfDay(_day);
            var plan = _planInForce is not { } inForce ? Plans.Free
                : inForce.Value == Plans.Trial && (at - inForce.At).TotalDays > UserModel.TrialDays ? Plans.Free
                : inForce.Value;
            return SegmentRules.Evaluate(new SegmentInputs(_analyses, _features, plan, (at - _signup).TotalDays, SinceActive(at), _revenue));
        }

        /// <summary>Features, payments and plan changes up to the end of the current day.</summary>
        private void CatchUp()
        {
            while (_features < _featureDays.Length && _featureDays[_features] <= _day)
            {
                _features++;
            }
            var payments = _model.Payments;
            while (_payment < payments.Length && UserModel.DayOf(payments[_payment].At) <= _day)
            {
                _revenue += payments[_payment++].Amount;
            }
            var plans = _model.PlanLog;
            while (_plan < plans.Length && UserModel.DayOf(plans[_plan].At) <= _day)
            {
                _planInForce = plans[_plan++];
            }
        }

        /// <summary>Days since the last activity as of <paramref name="at"/>, as the model's segment inputs read it.</summary>
        private double? SinceActive(DateTimeOffset at)
        {
            if (_model.LastActiveAt is { } last && UserModel.DayOf(last) <= _day)
            {
                return (at - last).TotalDays;
            }
            if (_lastBucketDay is { } d && d > _day - UserModel.RetainedDays)
            {
                _model.TryGetDay(d, out var bucket);
                return (at - bucket.LastAt).TotalDays;
            }
            return _model.FirstSeenAt is { } fs && fs <= at ? (at - fs).TotalDays : null;
        }

        private int AnalysesOn(int day) => _model.AnalysesOn(day);
    }
}

/// <summary>
/// The daily segment distribution as additive figures: for each day, how the count of each segment changes that day
/// and how many users move from one segment to another. A user's path contributes +1 to its first segment on its first
/// day, and at every change point −1 to the old segment, +1 to the new one and one transition; a user whose path
/// changes contributes the new path minus the old one. The distribution on day D is the sum of the changes up to D.
/// </summary>
public sealed class SegmentFigures
{
    /// <summary>Day → segment → change in the number of users in it.</summary>
    public Dictionary<int, Dictionary<string, int>> Changes { get; } = [];

    /// <summary>Day → "from>to" → users who moved.</summary>
    public Dictionary<int, Dictionary<string, int>> Transitions { get; } = [];

    public static string TransitionKey(string from, string to) => $"{from}>{to}";

    /// <summary>Adds a path's contribution times <paramref name="sign"/> (+1 to add a user's path, −1 to take it away).</summary>
    public void AddPath(IReadOnlyList<SegmentStep> path, int sign) => AddPath(path, sign, 0);

    /// <summary>
    /// One user's path <paramref name="after"/> minus <paramref name="before"/>. Change points the paths share at the start
    /// contribute alike to both and are skipped (a new event mostly moves the end of the path), so identical paths cost a
    /// comparison and give zero figures.
    /// </summary>
    public static SegmentFigures Difference(IReadOnlyList<SegmentStep> before, IReadOnlyList<SegmentStep> after)
    {
        var common = 0;
        while (common < before.Count && common < after.Count && before[common] == after[common])
        {
            common++;
        }
        var delta = new SegmentFigures();
        delta.AddPath(after, +1, common);
        delta.AddPath(before, -1, common);
        return delta;
    }

    /// <summary>The contribution of the change points from index <paramref name="from"/> on (each one reads the one before it).</summary>
    private void AddPath(IReadOnlyList<SegmentStep> path, int sign, int from)
    {
        for (var i = from; i < path.Count; i++)
        {
            var step = path[i];
            Bump(Changes, step.Day, step.Segment, sign);
            if (i > 0)
            {
                Bump(Changes, step.Day, path[i - 1].Segment, -sign);
                Bump(Transitions, step.Day, TransitionKey(path[i - 1].Segment, step.Segment), sign);
            }
        }
    }

    /// <summary>Adds <paramref name="by"/> users to <paramref name="segment"/>'s count change on <paramref name="day"/>.</summary>
    public void AddChange(int day, string segment, int by) => Bump(Changes, day, segment, by);

    /// <summary>Adds <paramref name="by"/> users to the transitions keyed <paramref name="key"/> (<see cref="TransitionKey"/>) on <paramref name="day"/>.</summary>
    public void AddTransition(int day, string key, int by) => Bump(Transitions, day, key, by);

    public void Add(SegmentFigures other)
    {
        AddAll(Changes, other.Changes);
        AddAll(Transitions, other.Transitions);
    }

    public bool IsZero => Changes.Count == 0 && Transitions.Count == 0;

    /// <summary>The segment counts at the end of <paramref name="day"/> (every segment named, zeros included).</summary>
    public Dictionary<string, int> CountsOn(int day)
    {
        var counts = SegmentNames.All.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        foreach (var (d, changes) in Changes)
        {
            if (d <= day)
            {
                foreach (var (segment, change) in changes)
                {
                    counts[segment] = counts.GetValueOrDefault(segment) + change;
                }
            }
        }
        return counts;
    }

    /// <summary>The transitions of <paramref name="day"/>, ordered by segment names.</summary>
    public IReadOnlyList<(string From, string To, int Users)> TransitionsOn(int day)
        => Transitions.TryGetValue(day, out var moves)
            ? [.. moves.Select(m => (From: m.Key[..m.Key.IndexOf('>')], To: m.Key[(m.Key.IndexOf('>') + 1)..], Users: m.Value))
                .OrderBy(m => m.From, StringComparer.Ordinal).ThenBy(m => m.To, StringComparer.Ordinal)]
            : [];

    private static void AddAll(Dictionary<int, Dictionary<string, int>> into, Dictionary<int, Dictionary<string, int>> from)
    {
        foreach (var (day, values) in from)
        {
            foreach (var (key, value) in values)
            {
                Bump(into, day, key, value);
            }
        }
    }

    /// <summary>Adds <paramref name="by"/>, dropping entries that reach zero so equal figures compare equal.</summary>
    private static void Bump(Dictionary<int, Dictionary<string, int>> into, int day, string key, int by)
    {
        if (!into.TryGetValue(day, out var values))
        {
            into[day] = values = new Dictionary<string, int>(StringComparer.Ordinal);
        }
        var sum = values.GetValueOrDefault(key) + by;
        if (sum == 0)
        {
            values.Remove(key);
            if (values.Count == 0)
            {
                into.Remove(day);
            }
        }
        else
        {
            values[key] = sum;
        }
    }
}
