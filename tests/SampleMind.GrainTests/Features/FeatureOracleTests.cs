using SampleMind.Analytics.FeatureAnalytics;
using SampleMind.Features;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Features;

/// <summary>
/// The feature analytics oracle over the event log the user grains write: after shuffled delivery, late earlier uses
/// (which move a person's adoption week), late payments and retried messages, every feature and adoption week equals
/// the figures the test knows from the events it made.
/// </summary>
[Collection(KpiClusterCollection.Name)]
public sealed class FeatureOracleTests(ClusterFixture fixture)
{
    // A Monday of its own, far from the other tests' days; features and people of its own too.
    private static readonly DateTimeOffset Base = new(2025, 3, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] Features = ["fo-mixer", "fo-stems"];

    [Fact]
    public async Task FeatureWeeks_EqualTheTruth_AfterShuffledLateAndRetriedDelivery()
    {
        var random = new Random(19);
        var onTime = new List<(string User, string Json)>();
        var late = new List<(string User, string Json)>();
        var truth = new List<(string User, DateTimeOffset At, string? Feature, decimal Amount)>();

        void Add(List<(string User, string Json)> into, string user, string json, DateTimeOffset at, string? feature = null, decimal amount = 0)
        {
            into.Add((user, json));
            truth.Add((user, at, feature, amount));
        }

        for (var i = 0; i < 30; i++)
        {
            var user = $"feat-{i}";
            var events = new EventBuilder(user);
            var created = Base.AddDays(7 * (i % 3)).AddHours(i).AddMilliseconds(i * 37);
            Add(onTime, user, events.Identify(created, new { plan = "free", created_at = created.ToString("O") }), created);
            for (var f = 0; f < Features.Length; f++)
            {
                if ((i + f) % 3 == 0)
                {
                    continue; // not an adopter of this feature
                }
                var first = created.AddDays(1 + f).AddHours(f);
                for (var k = 0; k < 1 + (i + f) % 4; k++)
                {
                    var at = first.AddDays(k * 2).AddMinutes(random.Next(0, 600));
                    Add(onTime, user, events.Track("feature_used", at, new { feature = Features[f] }), at, Features[f]);
                }
                if (f == 0 && i % 5 == 1)
                {
                    // A late use eight days before every delivered one: the person's adoption week moves back.
                    var earlier = first.AddDays(-8);
                    Add(late, user, events.Track("feature_used", earlier, new { feature = Features[f] }), earlier, Features[f]);
                }
            }
            if (i % 9 == 4)
            {
                // Without a feature (absent or empty): no use, yet activity.
                var at = created.AddDays(2);
                Add(onTime, user, events.Track("feature_used", at, new { }), at);
                Add(onTime, user, events.Track("feature_used", at.AddMinutes(1), new { feature = "" }), at.AddMinutes(1));
            }
            if (i % 2 == 0)
            {
                var at = created.AddDays(28 + i % 4).AddHours(1);
                Add(i % 4 == 0 ? late : onTime, user, events.Track("login", at), at);
            }
            if (i % 3 == 1)
            {
                var at = created.AddDays(3);
                Add(onTime, user, events.Track("payment_succeeded", at, new { amount = 10 + i }), at, amount: 10 + i);
            }
            if (i % 7 == 0)
            {
                var at = created.AddDays(40);
                Add(late, user, events.Track("payment_succeeded", at, new { amount = "12.5" }), at, amount: 12.5m);
            }
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(onTime));
        await DeliverAsync(onTime);
        await fixture.DeactivateAllAsync();
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(late));
        await DeliverAsync(late);
        await DeliverAsync(onTime.Take(40)); // retried messages count once

        var expected = Truth(truth);
        var oracle = (await FeatureOracle.WeeksAsync(fixture.Database.DataSource)).Where(w => Features.Contains(w.Feature)).ToList();
        Assert.Equal(expected.Select(Describe), oracle.Select(Describe));
        foreach (var week in oracle)
        {
            var all = expected.Where(w => w.Feature == week.Feature).ToList();
            Assert.Equal(Math.Round(week.Adopters * (all.Sum(w => w.AdopterRevenue) / all.Sum(w => w.Adopters)), 6),
                FeatureOracle.FeatureValue(week, oracle));
        }

        // The population exercises what it claims: weeks moved by late uses, partial retention, revenue.
        Assert.Equal(20 + 20, oracle.Sum(w => w.Adopters));
        // Mixer's adopters start in week 1 or 2; its week 0 holds exactly the two people (1, 16) moved there by late uses.
        Assert.Equal(2, oracle.Single(w => w.Feature == Features[0] && w.AdoptionWeek == DateOnly.FromDateTime(Base.UtcDateTime)).Adopters);
        Assert.Contains(oracle, w => w.RetainedAdopters > 0 && w.RetainedAdopters < w.Adopters);
        Assert.Contains(oracle, w => w.AdopterRevenue > 0);
        Assert.Contains(oracle, w => w.NonAdopters > 0 && w.RetainedNonAdopters > 0);

        // The live grains (fed through the per-silo pre-aggregator) equal the same truth, feature value and revenue
        // impact included.
        await TestSupport.EventuallyAsync(async () =>
        {
            var live = await LiveAsync();
            var want = string.Join("\n", expected.Select(Describe));
            var got = string.Join("\n", live.SelectMany(r => r.Weeks.Select(w => Describe(Figures(r.Feature, w)))));
            return want == got ? null : $"live:\n{got}\nwant:\n{want}";
        });
        foreach (var row in await LiveAsync())
        {
            var all = expected.Where(w => w.Feature == row.Feature).ToList();
            Assert.Equal(Math.Round(all.Sum(w => w.AdopterRevenue) / all.Sum(w => w.Adopters), 6), row.RevenueImpact);
            Assert.Equal(all.Select(w => FeatureOracle.FeatureValue(w, all)), row.Weeks.Select(w => w.FeatureValue!.Value));
            Assert.Equal(all.Sum(w => w.Adopters), row.Adopters);
        }

        // reconcile --check finds nothing; a planted difference in a feature grain and in an activity week is found
        // and --fix rewrites both from the log.
        Assert.Empty(await OwnDifferencesAsync());
        var mixer = fixture.Client.GetGrain<IFeatureGrain>(Features[0]);
        var totals = await mixer.GetTotalsAsync();
        var rows = await LiveAsync();
        var common = rows[0].Weeks.Select(w => w.AdoptionWeek).Intersect(rows[1].Weeks.Select(w => w.AdoptionWeek)).Max();
        var cell = totals.Weeks[common];
        await mixer.ResetAsync(totals with { Weeks = new(totals.Weeks) { [common] = cell with { Adopters = cell.Adopters + 1, Uses = cell.Uses + 3 } } });
        var activity = fixture.Client.GetGrain<IActivityWeekGrain>(common.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        var active = await activity.GetTotalsAsync();
        await activity.ResetAsync(active with { Active = active.Active + 2 });
        var planted = await OwnDifferencesAsync();
        Assert.Contains(planted, d => d.StartsWith($"feature {Features[0]} week {common:yyyy-MM-dd} adopters: live {cell.Adopters + 1} ≠ sql {cell.Adopters}", StringComparison.Ordinal));
        Assert.Contains(planted, d => d.StartsWith($"feature {Features[0]} week {common:yyyy-MM-dd} uses: live {cell.Uses + 3} ≠ sql {cell.Uses}", StringComparison.Ordinal));
        Assert.Contains(planted, d => d.StartsWith($"feature {Features[1]} week {common:yyyy-MM-dd} non_adopters:", StringComparison.Ordinal));
        await FeatureReconciliation.FixAsync(fixture.Client, fixture.Database.DataSource);
        Assert.Empty(await OwnDifferencesAsync());
        Assert.Equal(expected.Select(Describe), (await LiveAsync()).SelectMany(r => r.Weeks.Select(w => Describe(Figures(r.Feature, w)))));

        // The oracle's additive figures (what --fix writes) give the oracle's rows.
        var (sqlFeatures, sqlWeeks) = await FeatureOracle.TotalsAsync(fixture.Database.DataSource);
        Assert.Equal(expected.Select(Describe), Features.SelectMany(f => FeatureReport.Weeks(f, sqlFeatures[f], sqlWeeks)).Select(Describe));
    }

    [Fact]
    public async Task FeatureGrain_AppliesARetriedFlush_Once()
    {
        var grain = fixture.Client.GetGrain<IFeatureGrain>("fo-retried");
        var week = new DateOnly(2025, 6, 2);
        var delta = new FeatureTotals { Weeks = new() { [week] = new FeatureWeekTotals(1, 4, 0, 7.5m, 1, 0) } };
        await grain.ApplyAsync(delta, "silo-a", 1);
        await grain.ApplyAsync(delta, "silo-a", 1); // the pre-aggregator's resend after a lost answer
        await grain.ApplyAsync(delta, "silo-b", 1); // another silo's own sequence
        Assert.Equal(new FeatureWeekTotals(2, 8, 0, 15m, 2, 0), (await grain.GetTotalsAsync()).Weeks[week]);
        var row = await grain.GetAsync();
        Assert.Equal((2L, 8L, 4m, 7.5m), (row.Adopters!.Value, row.Uses!.Value, row.Weeks.Single().AverageUsage!.Value, row.RevenueImpact!.Value));
    }

    private async Task<FeatureRow[]> LiveAsync()
        => await Task.WhenAll(Features.Select(f => fixture.Client.GetGrain<IFeatureGrain>(f).GetAsync()));

    private async Task<List<string>> OwnDifferencesAsync()
        => [.. (await FeatureReconciliation.CheckAsync(fixture.Client, fixture.Database.DataSource)).Differences
            .Where(d => Features.Any(f => d.StartsWith($"feature {f} ", StringComparison.Ordinal)))];

    private static FeatureWeekFigures Figures(string feature, FeatureWeekRow w)
        => new(feature, w.AdoptionWeek, w.Adopters!.Value, w.Uses!.Value, w.RetainedAdopters!.Value, w.AdopterRevenue!.Value,
            w.NonAdopters!.Value, w.RetainedNonAdopters!.Value);

    private static List<FeatureWeekFigures> Truth(List<(string User, DateTimeOffset At, string? Feature, decimal Amount)> events)
    {
        var active = events.Select(e => (e.User, Week(e.At))).ToHashSet();
        var revenue = events.GroupBy(e => e.User).ToDictionary(g => g.Key, g => g.Sum(e => e.Amount));
        var adopters = events.Where(e => e.Feature is not null)
            .GroupBy(e => (e.Feature!, e.User))
            .Select(g => (Feature: g.Key.Item1, User: g.Key.User, Week: Week(g.Min(e => e.At)), Uses: (long)g.Count()))
            .ToList();
        return adopters
            .GroupBy(a => (a.Feature, a.Week))
            .Select(g =>
            {
                var others = active.Where(p => p.Item2 == g.Key.Week
                        && !adopters.Any(a => a.Feature == g.Key.Feature && a.User == p.User && a.Week <= g.Key.Week))
                    .Select(p => p.User).ToList();
                return new FeatureWeekFigures(g.Key.Feature, g.Key.Week, g.Count(), g.Sum(a => a.Uses),
                    g.Count(a => active.Contains((a.User, a.Week.AddDays(28)))), g.Sum(a => revenue[a.User]),
                    others.Count, others.Count(u => active.Contains((u, g.Key.Week.AddDays(28)))));
            })
            .OrderBy(w => w.Feature, StringComparer.Ordinal).ThenBy(w => w.AdoptionWeek)
            .ToList();
    }

    private static DateOnly Week(DateTimeOffset at)
    {
        var day = DateOnly.FromDateTime(at.UtcDateTime);
        return day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
    }

    private static string Describe(FeatureWeekFigures w)
        => $"{w.Feature} {w.AdoptionWeek:yyyy-MM-dd}: adopters={w.Adopters} uses={w.Uses} avg={w.AverageUsage} "
           + $"retained={w.RetainedAdopters} revenue={w.AdopterRevenue:0.####} "
           + $"others={w.RetainedNonAdopters}/{w.NonAdopters} impact={w.RetentionImpact}";

    private async Task DeliverAsync(IEnumerable<(string User, string Json)> events)
    {
        foreach (var batch in events.Chunk(25))
        {
            await Task.WhenAll(batch.GroupBy(x => x.User).Select(g =>
                fixture.Client.GetGrain<IUserGrain>(g.Key).IngestAsync([.. g.Select(x => TestSupport.ToEvent(x.Json))])));
        }
    }
}
