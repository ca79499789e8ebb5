using System.Text;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Simulation;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Segments;

/// <summary>
/// The end-of-day segment path against the model's own <see cref="UserModel.SegmentAt"/> evaluated at the end of every
/// day, on a simulated population delivered in shuffled chunks (so paths are extended and cut back by late events).
/// </summary>
public sealed class SegmentPathTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, UserModel> ShuffledPopulation(int users, int days, int seed, Action<UserModel> afterChunk)
    {
        using var stream = new MemoryStream();
        new PopulationSimulator(new SimulationOptions { Users = users, Days = days, Seed = seed, Now = s_now }).WriteNdjson(stream);
        var random = new Random(seed);
        var models = new Dictionary<string, UserModel>(StringComparer.Ordinal);
        var byUser = new Dictionary<string, List<EventFacts>>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var user = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("userId").GetString()!;
            (byUser.TryGetValue(user, out var list) ? list : byUser[user] = []).Add(EventFacts.Parse(line));
        }
        foreach (var (user, list) in byUser)
        {
            var shuffled = list.ToArray();
            random.Shuffle(shuffled);
            var model = models[user] = new UserModel { UserId = user };
            foreach (var chunk in shuffled.Chunk(random.Next(1, 60)))
            {
                foreach (var e in chunk)
                {
                    model.Apply(e);
                }
                afterChunk(model);
            }
        }
        return models;
    }

    [Fact]
    public void ThePath_IsTheSegmentAtTheEndOfEveryDay_PastAndFuture_WhenBuiltIncrementallyFromShuffledChunks()
    {
        var models = ShuffledPopulation(users: 250, days: 75, seed: 5, m => m.UpdateSegmentPath());
        var checkedDays = 0;
        var changes = 0;
        foreach (var model in models.Values)
        {
            var first = UserModel.DayOf(model.FirstSeenAt!.Value);
            Assert.Equal(first, model.SegmentPath[0].Day);
            for (var day = first; day <= UserModel.DayOf(s_now) + 150; day++)
            {
                var expected = model.SegmentAt(UserModel.EndOfDay(day));
                var actual = model.SegmentPath.Last(step => step.Day <= day).Segment;
                Assert.True(expected == actual, $"{model.UserId} day {DateOnly.FromDayNumber(day)}: path {actual}, SegmentAt {expected}");
                checkedDays++;
            }
            changes += model.SegmentPath.Count - 1;
            for (var i = 1; i < model.SegmentPath.Count; i++)
            {
                Assert.NotEqual(model.SegmentPath[i - 1].Segment, model.SegmentPath[i].Segment); // change points only
            }
        }
        Assert.True(checkedDays > 250 * 150, $"{checkedDays} days checked");
        Assert.True(changes > 250, $"only {changes} segment changes: the population should move between segments");
        Assert.Equal(5, models.Values.SelectMany(m => m.SegmentPath).Select(s => s.Segment).Distinct().Count());
    }

    [Fact]
    public void TheFigures_AddUpToTheDailyDistributionAndTransitions_OfEveryUser()
    {
        var models = ShuffledPopulation(users: 120, days: 50, seed: 9, _ => { });
        var figures = new SegmentFigures();
        foreach (var model in models.Values)
        {
            model.UpdateSegmentPath();
            // Adding an outdated path and taking it away again leaves nothing behind.
            figures.AddPath([new SegmentStep(model.SegmentPath[0].Day - 3, SegmentNames.Regulars)], +1);
            figures.AddPath([new SegmentStep(model.SegmentPath[0].Day - 3, SegmentNames.Regulars)], -1);
            figures.AddPath(model.SegmentPath, +1);
        }

        var firstDay = models.Values.Min(m => UserModel.DayOf(m.FirstSeenAt!.Value));
        var moves = 0;
        for (var day = firstDay; day <= UserModel.DayOf(s_now) + 100; day++)
        {
            var present = models.Values.Where(m => UserModel.DayOf(m.FirstSeenAt!.Value) <= day).ToArray();
            var expected = SegmentNames.All.ToDictionary(s => s, s => present.Count(m => m.SegmentAt(UserModel.EndOfDay(day)) == s));
            Assert.Equal(expected, figures.CountsOn(day));

            var expectedMoves = present
                .Where(m => UserModel.DayOf(m.FirstSeenAt!.Value) < day)
                .Select(m => (From: m.SegmentAt(UserModel.EndOfDay(day - 1)), To: m.SegmentAt(UserModel.EndOfDay(day))))
                .Where(x => x.From != x.To)
                .GroupBy(x => x)
                .Select(g => (g.Key.From, g.Key.To, Users: g.Count()))
                .OrderBy(x => x.From, StringComparer.Ordinal).ThenBy(x => x.To, StringComparer.Ordinal)
                .ToArray();
            Assert.Equal(expectedMoves, figures.TransitionsOn(day));
            moves += expectedMoves.Sum(m => m.Users);
        }
        Assert.True(moves > 100, $"only {moves} moves");
    }
}
