using SampleMind.Ingest;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Ingest;

[Collection(ClusterCollection.Name)]
public sealed class UserIngestRouterGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;

    [Fact]
    public async Task Router_StoresEveryUsersEvents_AndARetriedRequestOnce()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var histories = Enumerable.Range(0, 12)
            .Select(i => (User: $"route-{run}-{i}", Events: EventBuilder.RealisticHistory($"route-{run}-{i}", seed: i, Now).Select(TestSupport.ToEvent).ToArray()))
            .ToArray();
        var request = histories.Select(h => new UserEventBatch(h.User, h.Events)).ToArray();
        var router = fixture.Client.GetGrain<IUserIngestRouterGrain>(0);

        var first = await router.IngestAsync(request, maxConcurrentCalls: 3);
        var retried = await router.IngestAsync(request, maxConcurrentCalls: 3);

        Assert.Equal(new UserIngestOutcome(12, 0, null), first);
        Assert.Empty(first.Duplicates);
        Assert.Equal(new UserIngestOutcome(12, 0, null), retried with { Duplicates = [] });
        // Every event of the retry was a duplicate, counted per user in request order (data quality's duplicates).
        Assert.Equal(histories.Select(h => h.Events.Length), retried.Duplicates);
        foreach (var (user, events) in histories)
        {
            Assert.Equal(events.Length, (await fixture.Client.GetGrain<IUserGrain>(user).GetAsync())!.EventsApplied);
            Assert.Equal(events.Length, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = '{user}'"));
        }
    }

    [Fact]
    public async Task Router_CallsEveryUser_AndReportsTheOneWhoseEventCannotBeRead()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var good = new EventBuilder($"route-ok-{run}");
        var other = new EventBuilder($"route-ok2-{run}");
        var broken = new UserEvent($"m-{run}", "track", "login", Now, "{\"type\":\"track\"}"); // no timestamp: the model refuses it
        UserEventBatch[] request =
        [
            new($"route-ok-{run}", [TestSupport.ToEvent(good.Track("login", Now.AddHours(-2)))]),
            new($"route-bad-{run}", [broken]),
            new($"route-ok2-{run}", [TestSupport.ToEvent(other.Track("login", Now.AddHours(-1)))]),
        ];

        var outcome = await fixture.Client.GetGrain<IUserIngestRouterGrain>(0).IngestAsync(request, maxConcurrentCalls: 1);

        Assert.Equal(3, outcome.Users);
        Assert.Equal(1, outcome.FailedUsers);
        Assert.Contains("timestamp", outcome.FirstError, StringComparison.Ordinal);
        Assert.Equal(1, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = 'route-ok-{run}'"));
        Assert.Equal(1, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = 'route-ok2-{run}'"));
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = 'route-bad-{run}'"));
    }
}
