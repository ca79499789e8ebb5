using SampleMind.Analytics.Kpis;
using SampleMind.Kpis;
using SampleMind.ModelVersions;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Kpis;

/// <summary>
/// Time to First Value and the AI Analysis Quality Score in the KPI days: equal to the SQL oracle and to the figures the
/// test knows from the events it made, after shuffled delivery, late events (earlier analyses, earlier signups, old
/// feedback), retried messages and reactivation from snapshots.
/// </summary>
[Collection(KpiClusterCollection.Name)]
public sealed class KpiSeedMetricsTests(ClusterFixture fixture)
{
    // Days of their own, far from the other KPI tests' days (the collection shares one cluster and database).
    private static readonly DateTimeOffset Base = new(2025, 5, 26, 9, 0, 0, TimeSpan.Zero);

    // A model version of its own: its Quality Score is this test's ratings alone.
    private const string Version = "seed-3.0";

    [Fact]
    public async Task TtfvAndQualityScore_EqualTheSqlOracleAndTheTruth_AfterShuffledAndLateDelivery()
    {
        var random = new Random(19);
        var onTime = new List<(string User, string Json)>();
        var late = new List<(string User, string Json)>();
        var signups = new Dictionary<string, DateTimeOffset>();
        var firsts = new Dictionary<string, DateTimeOffset>();
        var ratings = new Dictionary<DateOnly, List<decimal>>();

        for (var i = 0; i < 36; i++)
        {
            var user = $"seed-{i}";
            var events = new EventBuilder(user);
            var created = Base.AddDays(i % 5).AddMinutes(i * 7).AddMilliseconds(i * 37);
            onTime.Add((user, events.Identify(created, new { plan = "free", created_at = created.ToString("O") })));
            onTime.Add((user, events.Track("signup_started", created.AddSeconds(30))));
            var signup = created;
            if (i % 6 == 1)
            {
                // A late signup_started a day earlier: the person moves to the day before.
                signup = created.AddDays(-1).AddSeconds(-11);
                late.Add((user, events.Track("signup_started", signup)));
            }
            signups[user] = signup;

            // First value after 40 s … 40 min (with milliseconds, truncated to whole seconds), then more analyses.
            var first = created.AddMilliseconds(40_000 + random.Next(0, 2_400_000));
            var analyses = Enumerable.Range(0, 4).Select(a => first.AddHours(a * 20).AddMinutes(random.Next(0, 50))).ToList();
            if (i % 4 == 2)
            {
                // A late analysis earlier than every delivered one; for some before the signup itself (TTFV 0).
                var earlier = i % 8 == 2 ? signup.AddMinutes(-3) : created.AddMilliseconds(12_345);
                analyses.Add(earlier);
                late.Add((user, Analysis(events, earlier)));
            }
            foreach (var at in analyses.Take(4))
            {
                onTime.Add((user, Analysis(events, at)));
            }
            firsts[user] = analyses.Min();

            for (var f = 0; f < 3; f++)
            {
                var at = first.AddHours(f * 26 + 1);
                var rating = ((i + f) % 9) switch
                {
                    0 => (object)0,   // outside the 5-point scale: not counted
                    1 => "great",     // not a number: not counted
                    2 => "4.5",       // a numeric string counts, as EventFacts reads it
                    3 => 7,           // outside the scale
                    _ => 1 + ((i * 3) + f) % 5,
                };
                var json = events.Track("analysis_feedback", at,
                    new { model = "genre_classification", model_version = Version, rating, correct = f % 2 == 0 });
                (f == 2 && i % 3 == 0 ? late : onTime).Add((user, json));
                if (rating switch { int r => r is >= 1 and <= 5 ? r : (decimal?)null, "4.5" => 4.5m, _ => null } is { } counted)
                {
                    var day = DateOnly.FromDateTime(at.UtcDateTime);
                    (ratings.TryGetValue(day, out var list) ? list : ratings[day] = []).Add(counted);
                }
            }
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(onTime));
        await DeliverAsync(onTime);
        await fixture.DeactivateAllAsync();
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(late));
        await DeliverAsync(late);
        await DeliverAsync(onTime.Take(40)); // retried messages count once

        var from = DateOnly.FromDateTime(Base.AddDays(-2).UtcDateTime);
        var to = DateOnly.FromDateTime(Base.AddDays(10).UtcDateTime);
        var oracle = await KpiOracle.DaysAsync(fixture.Database.DataSource, from, to);

        // The oracle against the test's own truth: TTFV per signup day (nearest rank) and the mean rating per day.
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var row = KpiDayRowValues.From(day, oracle.GetValueOrDefault(day) ?? new KpiDayFigures());
            var ttfv = signups.Where(s => DateOnly.FromDateTime(s.Value.UtcDateTime) == day)
                .Select(s => Math.Max(0, (long)Math.Floor((firsts[s.Key] - s.Value).TotalSeconds)))
                .Order().ToList();
            Assert.Equal(ttfv.Count, row.TtfvPeople);
            Assert.Equal(NearestRank(ttfv, 0.5), row.TtfvMedianSeconds);
            Assert.Equal(NearestRank(ttfv, 0.9), row.TtfvP90Seconds);
            var dayRatings = ratings.GetValueOrDefault(day) ?? [];
            Assert.Equal(dayRatings.Count, row.Ratings);
            Assert.Equal(dayRatings.Count == 0 ? null : Math.Round(dayRatings.Sum() / dayRatings.Count, 6), row.QualityScore);
        }
        Assert.Equal(36, oracle.Values.Sum(f => f.TtfvSeconds.Values.Sum()));
        Assert.Contains(oracle.Values, f => f.TtfvSeconds.ContainsKey(0));
        Assert.True(ratings.Values.Sum(r => r.Count) > 50, "the population has ratings to compare");

        await TestSupport.EventuallyAsync(async () =>
        {
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                var grain = fixture.Client.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(day));
                var live = (await grain.GetTotalsAsync()).ToFigures();
                var expected = oracle.GetValueOrDefault(day) ?? new KpiDayFigures();
                if (Describe(live) != Describe(expected))
                {
                    return $"{day}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
                var row = await grain.GetAsync();
                var values = KpiDayRowValues.From(day, expected);
                if ((row.TtfvPeople, row.TtfvMedianSeconds, row.TtfvP90Seconds, row.Ratings, row.QualityScore)
                    != (values.TtfvPeople, values.TtfvMedianSeconds, values.TtfvP90Seconds, values.Ratings, values.QualityScore))
                {
                    return $"{day}: row {row} ≠ {values}";
                }
            }
            return null;
        });

        // The Quality Score per model version: the version grain, the SQL oracle and the truth agree.
        var all = ratings.Values.SelectMany(r => r).ToList();
        var versionOracle = (await ModelVersionOracle.VersionsAsync(fixture.Database.DataSource))[$"genre_classification@{Version}"];
        Assert.Equal(all.Count, versionOracle.RatingCount);
        Assert.Equal(all.Sum(), versionOracle.RatingSum);
        var expectedScore = Math.Round(all.Sum() / all.Count, 6);
        await TestSupport.EventuallyAsync(async () =>
        {
            var row = await fixture.Client.GetGrain<IModelVersionGrain>($"genre_classification@{Version}").GetAsync();
            return (row.Ratings, row.QualityScore, row.Feedback) == (all.Count, expectedScore, versionOracle.Feedback)
                ? null
                : $"version row {row.Ratings}/{row.QualityScore}/{row.Feedback} ≠ {all.Count}/{expectedScore}/{versionOracle.Feedback}";
        });
    }

    private static string Analysis(EventBuilder events, DateTimeOffset at)
        => events.Track("analysis_completed", at, new { model = "genre_classification", model_version = "2.1", processing_time_ms = 900 });

    private async Task DeliverAsync(IEnumerable<(string User, string Json)> events)
    {
        foreach (var batch in events.Chunk(25))
        {
            await Task.WhenAll(batch.GroupBy(x => x.User).Select(g =>
                fixture.Client.GetGrain<IUserGrain>(g.Key).IngestAsync([.. g.Select(x => TestSupport.ToEvent(x.Json))])));
        }
    }

    private static long? NearestRank(List<long> sorted, double fraction)
        => sorted.Count == 0 ? null : sorted[(int)Math.Ceiling(fraction * sorted.Count) - 1];

    private static string Describe(KpiDayFigures f)
        => $"{KpiRollupTests.Describe(f)} ratings={f.RatingSum:0.####}/{f.RatingCount} "
           + $"ttfv={string.Join(',', f.TtfvSeconds.Select(p => $"{p.Key}:{p.Value}"))}";
}
