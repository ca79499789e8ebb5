using Microsoft.Extensions.DependencyInjection;
using SampleMind.Privacy;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Privacy;

/// <summary>A cluster whose silo runs with <c>Privacy:Tombstones=false</c>.</summary>
public sealed class NoTombstonesClusterFixture : ClusterFixture
{
    protected override void ConfigureServices(IServiceCollection services)
        => services.Configure<ErasureOptions>(o => o.Tombstones = false);
}

[CollectionDefinition(Name)]
public sealed class NoTombstonesClusterCollection : ICollectionFixture<NoTombstonesClusterFixture>
{
    public const string Name = "no-tombstones-cluster";
}

/// <summary>
/// Issue 17.2's "(on by default, configurable)": without tombstones an erasure still removes every row of the person
/// and their share, but leaves nothing that stops a retried old message: it creates the person anew, counted once.
/// </summary>
[Collection(NoTombstonesClusterCollection.Name)]
public sealed class NoTombstonesTests(NoTombstonesClusterFixture fixture)
{
    [Fact]
    public async Task WithoutTombstones_TheErasureRemovesThePerson_AndARetriedOldBatchCreatesThemAnew()
    {
        const string person = "no-tomb-person";
        var builder = new EventBuilder(person);
        var at = ClusterFixture.Start.AddDays(-3);
        UserEvent[] history =
        [
            TestSupport.ToEvent(builder.Identify(at, new { plan = "free" })),
            TestSupport.ToEvent(builder.Track("sample_uploaded", at.AddMinutes(1))),
            TestSupport.ToEvent(builder.Track("payment_succeeded", at.AddMinutes(2), new { amount = 29 })),
        ];
        var grain = fixture.Client.GetGrain<IUserGrain>(person);
        Assert.Equal(3, (await grain.IngestAsync(history)).Applied);

        var job = Guid.NewGuid();
        await fixture.Database.ExecuteAsync(
            "insert into erasure_jobs (id, user_hash, user_id, state, requested_by) values (@id, 'h', @u, 'queued', 'test')",
            ("id", job), ("u", person));
        Assert.Equal(new ErasureResult(person, 1, 3), await grain.EraseAsync(job));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select count(*) from erasure_tombstones"));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>("select count(*) from user_events where user_id = @u", ("u", person)));
        Assert.Equal("done 3", (await fixture.Database.RowsAsync("select state || ' ' || erased_events from erasure_jobs where id = @id", ("id", job))).Single());

        // The same batch again, after the erased activation went: stored and applied once, as for someone new.
        await fixture.DeactivateAllAsync();
        Assert.Equal(3, (await fixture.Client.GetGrain<IUserGrain>(person).IngestAsync(history)).Applied);
        Assert.Equal(0, (await fixture.Client.GetGrain<IUserGrain>(person).IngestAsync(history)).Applied);
        Assert.Equal(3L, await fixture.Database.ScalarAsync<long>("select count(*) from user_events where user_id = @u", ("u", person)));
        Assert.Equal(3, (await fixture.Client.GetGrain<IUserGrain>(person).GetAsync())!.EventsApplied);
    }
}
