using System.Text.Json;
using SampleMind.ModelVersions;
using SampleMind.Privacy;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Users;

/// <summary>
/// A user grain that Orleans moves to another silo (migration: on request, or by a rebalancer) keeps every event.
/// Orleans writes the deactivating activation's persistent state into the migration context and the new activation
/// starts from it without reading storage; the grain's snapshot bytes are not kept in that state between writes, so the
/// new activation must not take the state's position in the log without the model that goes with it.
/// </summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class UserGrainMigrationTests(TwoSiloClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;

    [Fact]
    public async Task AUserGrainMigratedToTheOtherSilo_KeepsEveryEvent_AndItsWholeView()
    {
        var user = $"migrate-{Guid.NewGuid():N}"[..20];
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        var events = EventBuilder.RealisticHistory(user, seed: 5, Now).Select(TestSupport.ToEvent).ToArray();
        var half = events.Length / 2;
        foreach (var chunk in events[..half].Chunk(40))
        {
            await grain.IngestAsync(chunk);
        }
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var before = await management.GetActivationAddress(grain);
        Assert.NotNull(before);

        var target = fixture.Cluster.GetActiveSilos().First(s => !s.SiloAddress.Equals(before)).SiloAddress;
        await fixture.Cluster.MigrateAsync(grain, target);

        Assert.Equal(half, (await grain.GetAsync())!.EventsApplied);
        Assert.Equal(target, await management.GetActivationAddress(grain));
        foreach (var chunk in events[half..].Chunk(40))
        {
            await grain.IngestAsync(chunk);
        }
        var view = await grain.GetAsync();
        Assert.Equal(events.Length, view!.EventsApplied);

        // The same view as a user who never moved: the whole history again under another id, in one activation.
        await fixture.DeactivateAllAsync();
        Assert.Equal(JsonSerializer.Serialize(view), JsonSerializer.Serialize(await grain.GetAsync()));
    }

    [Fact]
    public async Task AnErasureOnTheOtherSilo_TakesTheShareBackFromTheKeyItWasCountedUnder()
    {
        // The other silo never saw this model version: its dimension registry maps it to "(other)" until it resolves it.
        var user = $"mig-erase-{Guid.NewGuid():N}"[..22];
        var key = $"{user}-model@1";
        var builder = new EventBuilder(user);
        var events = Enumerable.Range(0, 3).Select(i => TestSupport.ToEvent(builder.Track("analysis_completed", Now.AddMinutes(i),
            new { model = $"{user}-model", model_version = "1", processing_time_ms = 10 + i }))).ToArray();
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        Assert.Equal(3, (await grain.IngestAsync(events)).Applied);
        var other = (await fixture.Client.GetGrain<IModelVersionGrain>("(other)").GetTotalsAsync()).Requests;
        await TestSupport.EventuallyAsync(async () =>
            (await fixture.Client.GetGrain<IModelVersionGrain>(key).GetTotalsAsync()).Requests is var n && n == 3 ? null : $"{n} requests before");

        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var before = await management.GetActivationAddress(grain);
        await fixture.Cluster.MigrateAsync(grain, fixture.Cluster.GetActiveSilos().First(s => !s.SiloAddress.Equals(before)).SiloAddress);
        var job = Guid.NewGuid();
        await fixture.Database.ExecuteAsync(
            "insert into erasure_jobs (id, user_hash, user_id, state, requested_by) values (@id, 'h', @u, 'queued', 'test')", ("id", job), ("u", user));
        Assert.Equal(new ErasureResult(user, 1, 3), await grain.EraseAsync(job));

        await TestSupport.EventuallyAsync(async () =>
        {
            var mine = (await fixture.Client.GetGrain<IModelVersionGrain>(key).GetTotalsAsync()).Requests;
            var others = (await fixture.Client.GetGrain<IModelVersionGrain>("(other)").GetTotalsAsync()).Requests;
            return mine == 0 && others == other ? null : $"{key}: {mine} requests, (other): {others} (was {other})";
        });
    }
}
