using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SampleMind.ClientApi.Quality;
using SampleMind.Testing;

namespace SampleMind.IntegrationTests.Ingest;

/// <summary>
/// The write-behind of data quality's ingest counts (deploy/sql/V0130): each flush adds what was counted since the last,
/// a failed flush keeps its counts for the next, and the in-memory keys are bounded.
/// </summary>
public sealed class IngestQualityWriterTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly DateOnly Day = new(2026, 12, 1);

    [Fact]
    public async Task Flush_AddsTheCountsSinceTheLast_ToTheTable()
    {
        var ct = TestContext.Current.CancellationToken;
        var counters = new IngestQualityCounters();
        await using var dataSource = database.CreateDataSource();
        var writer = new IngestQualityWriter(counters, dataSource, NullLogger<IngestQualityWriter>.Instance);

        counters.Add(Day, "a", IngestQualityCounters.Accepted, "", 3);
        counters.Add(Day, new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 }, IngestQualityCounters.Rejected, "invalid");
        Assert.True(await writer.FlushAsync(ct));
        counters.Add(Day, "a", IngestQualityCounters.Accepted, "", 4);
        counters.Add(Day.AddDays(1), "a", IngestQualityCounters.Duplicate, "", 1);
        Assert.True(await writer.FlushAsync(ct));
        Assert.True(await writer.FlushAsync(ct)); // nothing new: no write

        Assert.Equal(
            ["2026-12-01\ta\taccepted\t\t7", "2026-12-01\ta\trejected\tinvalid\t2", "2026-12-01\tb\trejected\tinvalid\t1",
                "2026-12-02\ta\tduplicate\t\t1"],
            await database.RowsAsync(
                "select day::text, source, kind, reason, events from ingest_quality order by day, source, kind, reason"));
        Assert.Empty(counters.Drain());
    }

    [Fact]
    public async Task FailedFlush_KeepsItsCounts_ForTheNext()
    {
        var ct = TestContext.Current.CancellationToken;
        var counters = new IngestQualityCounters();
        var missing = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "sm_no_such_database" };
        await using var dataSource = NpgsqlDataSource.Create(missing.ConnectionString);
        var writer = new IngestQualityWriter(counters, dataSource, NullLogger<IngestQualityWriter>.Instance);

        counters.Add(Day, "a", IngestQualityCounters.Accepted, "", 3);
        Assert.False(await writer.FlushAsync(ct));
        counters.Add(Day, "a", IngestQualityCounters.Accepted, "", 2);

        var left = counters.Drain();
        Assert.Equal(5, Assert.Single(left, k => k.Key == new IngestQualityKey(Day, "a", IngestQualityCounters.Accepted, "")).Value);
        Assert.Single(left);
    }

    [Fact]
    public void Counters_PastTheKeyBound_CountNewSourcesAsOther()
    {
        var counters = new IngestQualityCounters();
        for (var i = 0; i < IngestQualityCounters.MaxKeys + 5; i++)
        {
            counters.Add(Day, $"s{i}", IngestQualityCounters.Accepted, "", 1);
        }
        counters.Add(Day, "s0", IngestQualityCounters.Accepted, "", 1); // a known key still counts under its own name

        var drained = counters.Drain();

        Assert.Equal(IngestQualityCounters.MaxKeys + 1, drained.Count);
        Assert.Equal(5, drained[new IngestQualityKey(Day, IngestQualityCounters.OtherSource, IngestQualityCounters.Accepted, "")]);
        Assert.Equal(2, drained[new IngestQualityKey(Day, "s0", IngestQualityCounters.Accepted, "")]);
    }
}
