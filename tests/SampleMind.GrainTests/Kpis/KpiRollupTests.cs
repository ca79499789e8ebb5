using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Users;
using SampleMind.Kpis;
using SampleMind.Users;

namespace SampleMind.GrainTests.Kpis;

[Collection(KpiClusterCollection.Name)]
public sealed class KpiRollupTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;

    [Fact]
    public async Task KpiDaysAndWeeks_EqualTheSqlOracle_AfterShuffledIngestOfFortyUsers()
    {
        var random = new Random(7);
        var events = new List<(string User, UserEvent Event)>();
        for (var i = 0; i < 40; i++)
        {
            var user = $"kpi-{i}";
            events.AddRange(EventBuilder.RealisticHistory(user, seed: 100 + i, Now).Select(j => (user, TestSupport.ToEvent(j))));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        foreach (var batch in events.Chunk(60))
        {
            await Task.WhenAll(batch.GroupBy(x => x.User).Select(g =>
                fixture.Client.GetGrain<IUserGrain>(g.Key).IngestAsync([.. g.Select(x => x.Event)])));
        }

        var from = DateOnly.FromDateTime(Now.AddDays(-75).UtcDateTime);
        var to = DateOnly.FromDateTime(Now.AddDays(7).UtcDateTime);
        var oracle = await KpiOracle.DaysAsync(fixture.Database.DataSource, from, to);
        var oracleWeeks = await KpiOracle.WeeksAsync(fixture.Database.DataSource, from, to);
        Assert.True(oracle.Values.Sum(f => f.Dau) > 1000, "the population has activity to compare");
        Assert.Contains(oracle.Values, f => f.Wap > 0);
        Assert.Contains(oracle.Values, f => f.Revenue > 0);

        await TestSupport.EventuallyAsync(async () =>
        {
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                var live = (await fixture.Client.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(day)).GetTotalsAsync()).ToFigures();
                var expected = oracle.GetValueOrDefault(day) ?? new KpiDayFigures();
                if (Describe(live) != Describe(expected))
                {
                    return $"{day}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
            }
            foreach (var (week, wap) in oracleWeeks)
            {
                var live = await fixture.Client.GetGrain<IKpiWeekGrain>(week).GetAsync();
                if (live.Wap != wap)
                {
                    return $"{week}: live WAP {live.Wap} ≠ SQL {wap}";
                }
            }
            return null;
        });

        // The derived row: the seed's ratios from those figures.
        var busiest = oracle.MaxBy(p => p.Value.Dau);
        var row = await fixture.Client.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(busiest.Key)).GetAsync();
        Assert.Equal(busiest.Value.Dau, row.Dau);
        Assert.Equal(busiest.Value.Wap == 0 ? 0m : Math.Round((decimal)busiest.Value.Wap / busiest.Value.Dau, 6), row.WapRatio ?? 0m);
    }

    internal static string Describe(KpiDayFigures f)
        => $"dau={f.Dau} wap={f.Wap} signups={f.NewSignups} sessions={f.Sessions}/{f.SessionSeconds} revenue={f.Revenue:0.####}/{f.Payments}/{f.PayingCustomers} "
           + $"analyses={f.Analyses} pt={f.ProcessingTimeSum:0.####}/{f.ProcessingTimeCount} acc={f.AccuracySum:0.######}/{f.AccuracyCount} "
           + $"features={string.Join(',', f.FeatureUsers.Where(p => p.Value != 0).Select(p => $"{p.Key}:{p.Value}"))}";
}
