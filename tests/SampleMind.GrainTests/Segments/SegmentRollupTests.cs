using System.Text;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Simulation;
using SampleMind.Segments;
using SampleMind.Users;

namespace SampleMind.GrainTests.Segments;

/// <summary>A cluster and database of their own: the oracle reads the whole event log.</summary>
[CollectionDefinition(Name)]
public sealed class SegmentClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "segment-cluster";
}

[Collection(SegmentClusterCollection.Name)]
public sealed class SegmentRollupTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheDailyDistributionAndTransitions_EqualTheSqlOracle_AfterShuffledIngest_Reactivation_AndLateEvents()
    {
        using var stream = new MemoryStream();
        new PopulationSimulator(new SimulationOptions { Users = 120, Days = 75, Seed = 21, Now = new DateTimeOffset(ClusterFixture.Start.UtcDateTime.Date, TimeSpan.Zero) }).WriteNdjson(stream);
        var events = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(json => (User: System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("userId").GetString()!, Json: json))
            .ToArray();
        var random = new Random(21);
        random.Shuffle(events);
        // Most events first; a tenth held back and delivered after every grain was deactivated: late events that move
        // paths which were stored in snapshots.
        var late = events.Length / 10;
        await IngestAsync(events[late..]);
        await CompareWithOracleAsync();

        await fixture.DeactivateAllAsync();
        await IngestAsync(events[..late]);
        var figures = await CompareWithOracleAsync();

        var today = DateOnly.FromDateTime(ClusterFixture.Start.UtcDateTime);
        var rows = await fixture.Client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).GetDaysAsync(today.AddDays(-74), today.AddDays(40));
        Assert.Equal(115, rows.Length);
        Assert.Equal(120, rows.First(r => r.Date == today).Counts.Values.Sum()); // everyone has a segment today
        Assert.True(rows.Sum(r => r.Transitions.Sum(t => t.Users)) > 100, "the population moves between segments");
        Assert.True(rows.Last().Counts[SegmentNames.Dormant] > rows.First(r => r.Date == today).Counts[SegmentNames.Dormant],
            "paying users who stopped become dormant in the days ahead, without new events");
        Assert.Equal(figures.CountsOn(today.DayNumber).ToDictionary(c => c.Key, c => (int?)c.Value), rows.First(r => r.Date == today).Counts);
    }

    private Task IngestAsync((string User, string Json)[] events)
        => Task.WhenAll(events.Chunk(200).Select(async batch =>
        {
            foreach (var group in batch.GroupBy(e => e.User))
            {
                await fixture.Client.GetGrain<IUserGrain>(group.Key).IngestAsync([.. group.Select(e => TestSupport.ToEvent(e.Json))]);
            }
        }));

    private async Task<SegmentFigures> CompareWithOracleAsync()
    {
        var expected = await SegmentOracle.FiguresAsync(fixture.Database.DataSource);
        Assert.True(expected.Changes.Count > 30);
        await TestSupport.EventuallyAsync(async () =>
        {
            var live = (await fixture.Client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).GetTotalsAsync()).ToFigures();
            return Describe(live) == Describe(expected) ? null : $"live {Describe(live)}\n≠ sql {Describe(expected)}";
        });
        return expected;
    }

    private static string Describe(SegmentFigures f)
        => string.Join(" | ", f.Changes.OrderBy(d => d.Key).Select(d => $"{DateOnly.FromDayNumber(d.Key):MM-dd} " +
               string.Join(',', d.Value.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}{v.Value:+0;-0}"))))
           + " || " + string.Join(" | ", f.Transitions.OrderBy(d => d.Key).Select(d => $"{DateOnly.FromDayNumber(d.Key):MM-dd} " +
               string.Join(',', d.Value.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"))));
}
