using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.TestingHost;
using SampleMind.Analytics.Churn;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Users;

/// <summary>A cluster and database of their own: the index is compared as a whole with the user grains.</summary>
[CollectionDefinition(Name)]
public sealed class UserIndexClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "user-index-cluster";
}

[Collection(UserIndexClusterCollection.Name)]
public sealed class UserIndexTests(ClusterFixture fixture)
{
    private const int Users = 36;

    [Fact]
    public async Task TheIndex_AgreesWithEveryUserGrain_AnswersFilteredPagedQueries_AndIsRescoredWhenTimePasses()
    {
        // Users whose histories end 0–35 days before now: from active to long gone, so every risk level occurs.
        var users = Enumerable.Range(0, Users).Select(i => $"ix-{i:D2}").ToArray();
        await Task.WhenAll(users.Select((user, i) =>
            fixture.Client.GetGrain<IUserGrain>(user).IngestAsync(
                [.. EventBuilder.RealisticHistory(user, seed: 900 + i, fixture.Time.GetUtcNow().AddDays(-i)).Select(TestSupport.ToEvent)])));

        var expected = await RiskOfEveryUserAsync(users);
        Assert.Equal(Users, expected.Length);
        Assert.Equal(3, expected.Select(r => r.Level).Distinct().Count()); // the test covers HIGH, MEDIUM and LOW
        await TestSupport.EventuallyAsync(async () => Differences(expected, await ReadTableAsync()));

        // Queries: filtered and ordered exactly as LINQ over the grains' own answers, and pages that add up to the whole.
        var index = fixture.Client.GetGrain<IUserIndexGrain>(0);
        foreach (var level in new[] { RiskLevels.High, RiskLevels.Medium, RiskLevels.Low })
        {
            var page = await index.QueryAsync(new UserIndexQuery { Level = level, Limit = 1000 });
            Assert.Equal(Ordered(expected.Where(r => r.Level == level)), page.Items.Select(e => e.UserId));
            Assert.Null(page.Next);
        }
        var minLtv = expected.Select(r => r.Ltv).Order().ElementAt(Users / 2);
        var rich = await index.QueryAsync(new UserIndexQuery { MinLtv = minLtv, Limit = 1000 });
        Assert.Equal(Ordered(expected.Where(r => r.Ltv >= minLtv)), rich.Items.Select(e => e.UserId));
        var segment = expected.GroupBy(r => r.Segment).MaxBy(g => g.Count())!.Key;
        var inSegment = await index.QueryAsync(new UserIndexQuery { Segment = segment, Limit = 1000 });
        Assert.Equal(Ordered(expected.Where(r => r.Segment == segment)), inSegment.Items.Select(e => e.UserId));

        var paged = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await index.QueryAsync(new UserIndexQuery { Limit = 5, After = after });
            paged.AddRange(page.Items.Select(e => e.UserId));
            after = page.Next;
            pages++;
        }
        while (after is not null);
        Assert.Equal(Ordered(expected), paged);
        Assert.Equal((Users + 4) / 5, pages);

        var summary = await index.SummaryAsync();
        Assert.Equal(Users, summary.Total);
        foreach (var level in new[] { RiskLevels.High, RiskLevels.Medium, RiskLevels.Low })
        {
            Assert.Equal(expected.Count(r => r.Level == level), summary.ByLevel[level]);
            foreach (var group in expected.GroupBy(r => r.Segment))
            {
                Assert.Equal(group.Count(r => r.Level == level), summary.BySegment[group.Key][level]);
            }
        }

        // Twenty days pass without events: the refresher re-scores every stale row, and the index follows the grains.
        fixture.Time.Advance(TimeSpan.FromDays(20));
        var refresher = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider.GetRequiredService<UserIndexRefresher>();
        Assert.Equal(Users, await refresher.RefreshStaleAsync());
        Assert.Equal(0, await refresher.RefreshStaleAsync()); // claimed rows are fresh now
        var later = await RiskOfEveryUserAsync(users);
        Assert.Contains(later, r => expected.Single(e => e.UserId == r.UserId).Level != r.Level); // risk moved with time
        await TestSupport.EventuallyAsync(async () => Differences(later, await ReadTableAsync()));
    }

    [Fact]
    public async Task ARowPostedForAnErasedPerson_IsNotWritten_WhileTheOthersAre()
    {
        // The race an erasure leaves with several silos: a row the person's earlier activation posted to another silo's
        // write-behind reaches PostgreSQL after the erasure deleted theirs. The tombstone keeps it out.
        var services = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider;
        var index = services.GetRequiredService<PostgresUserIndex>();
        var hashKey = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SampleMind.Privacy.ErasureOptions>>().Value.HashKey;
        const string erased = "ix-fence-erased", kept = "ix-fence-kept";
        await fixture.Database.ExecuteAsync("insert into erasure_tombstones (user_hash, job_id) values (@h, @j)",
            ("h", Analytics.Privacy.PersonHash.Of(hashKey, erased)), ("j", Guid.NewGuid()));
        try
        {
            var now = fixture.Time.GetUtcNow();
            index.Post(new UserIndexRow(erased, "regulars", 0.4, "MEDIUM", 12m, 5m, "rules", now, now));
            index.Post(new UserIndexRow(kept, "regulars", 0.3, "LOW", 10m, 4m, "rules", now, now));
            await index.FlushAsync(TestContext.Current.CancellationToken);
            Assert.Equal(["ix-fence-kept"], await fixture.Database.RowsAsync("select user_id from user_index where user_id like 'ix-fence-%'"));
        }
        finally
        {
            await fixture.Database.ExecuteAsync("delete from user_index where user_id like 'ix-fence-%'");
        }
    }

    private async Task<RiskView[]> RiskOfEveryUserAsync(string[] users)
        => (await Task.WhenAll(users.Select(u => fixture.Client.GetGrain<IUserGrain>(u).GetRiskAsync()))).Select(r => r!).ToArray();

    private static string[] Ordered(IEnumerable<RiskView> risks)
        => [.. risks.OrderByDescending(r => r.Score).ThenBy(r => r.UserId, StringComparer.Ordinal).Select(r => r.UserId)];

    private async Task<Dictionary<string, string>> ReadTableAsync()
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = fixture.Database.DataSource.CreateCommand(
            "SELECT user_id, segment, risk_score, risk_level, ltv, model_version, scored_at FROM user_index");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = Describe(reader.GetString(1), reader.GetDouble(2), reader.GetString(3), reader.GetDecimal(4),
                reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6));
        }
        return rows;
    }

    private static string? Differences(RiskView[] expected, Dictionary<string, string> table)
    {
        if (table.Count != expected.Length)
        {
            return $"{table.Count} rows, {expected.Length} users";
        }
        foreach (var r in expected)
        {
            var want = Describe(r.Segment, r.Score, r.Level, r.Ltv, r.ModelVersion, r.AsOf);
            if (table.GetValueOrDefault(r.UserId) != want)
            {
                return $"{r.UserId}: index {table.GetValueOrDefault(r.UserId)} ≠ grain {want}";
            }
        }
        return null;
    }

    private static string Describe(string segment, double score, string level, decimal ltv, string model, DateTimeOffset at)
        => FormattableString.Invariant($"{segment} {score:R} {level} {ltv:0.00} {model} {at.UtcTicks / 10}");
}
