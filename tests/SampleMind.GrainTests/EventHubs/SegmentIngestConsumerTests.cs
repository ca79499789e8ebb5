using System.Text;
using Azure.Messaging.EventHubs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Streams;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Users;
using SampleMind.Ingest;
using SampleMind.Ingest.EventHubs;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.EventHubs;

/// <summary>
/// The consumer path: events published on the <see cref="SegmentStream.Namespace"/> stream end in the user grain
/// through <see cref="IUserGrain.IngestAsync"/>, durable in the PostgreSQL event log, each messageId once.
/// </summary>
[Collection(SegmentStreamCollection.Name)]
public sealed class SegmentIngestConsumerTests(SegmentStreamFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StreamedEvents_EndInTheUserGrain_AsIfPostedToTheApi()
    {
        var user = Fresh("stream");
        var events = Events(EventBuilder.RealisticHistory(user, seed: 7, Now));
        var stream = Stream(user);

        foreach (var chunk in events.Chunk(40))
        {
            await stream.OnNextAsync(new UserEventBatch(user, chunk));
        }

        var view = await WaitForEventsAppliedAsync(user, events.Length);
        Assert.Equal(events.Length, view.EventsApplied);
        Assert.Equal(events.Length, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = '{user}'"));
        Assert.Equal(await OracleViewAsync(user, events), Json(view).Replace(user, "USER"));
    }

    [Fact]
    public async Task RedeliveredEvents_SameMessageIds_AreCountedOnce()
    {
        var user = Fresh("redeliver");
        var builder = new EventBuilder(user);
        var first = Events([builder.Track("login", Now.AddHours(-5)), builder.Track("session_started", Now.AddHours(-5).AddMinutes(1))]);
        var second = Events([builder.Track("analysis_completed", Now.AddHours(-4), new { model = "genre_classification" })]);
        var sentinel = Events([builder.Track("session_ended", Now.AddHours(-3), new { duration_seconds = 600 })]);
        var stream = Stream(user);

        // An Event Hubs replay after a crash re-sends whole messages; a producer retry re-sends the same messageIds.
        await stream.OnNextAsync(new UserEventBatch(user, first));
        await stream.OnNextAsync(new UserEventBatch(user, [.. first, .. second]));
        await stream.OnNextAsync(new UserEventBatch(user, second));
        await stream.OnNextAsync(new UserEventBatch(user, [first[0], first[0]]));
        // One stream is delivered in order: once the last new event is applied, every earlier delivery was processed.
        await stream.OnNextAsync(new UserEventBatch(user, sentinel));

        var view = await WaitForEventsAppliedAsync(user, 4);
        Assert.Equal(4, view.EventsApplied);
        Assert.Equal(4, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = '{user}'"));
    }

    [Fact]
    public async Task AFailedIngest_FailsTheDelivery_AndTheStreamRetriesIt_UntilDurable()
    {
        var user = Fresh("flaky");
        var builder = new EventBuilder(user);
        var events = Events([builder.Track("login", Now.AddHours(-2)), builder.Track("sample_uploaded", Now.AddHours(-2).AddMinutes(1)), builder.Track("logout", Now.AddHours(-1))]);
        fixture.FailingAppends[user] = 2;

        await Stream(user).OnNextAsync(new UserEventBatch(user, events));

        var view = await WaitForEventsAppliedAsync(user, 3);
        Assert.Equal(0, fixture.FailingAppends[user]);
        Assert.Equal(3, view.EventsApplied);
        Assert.Equal(3, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = '{user}'"));
    }

    [Fact]
    public async Task EventHubsMessages_ThroughTheAdapter_AndTheStream_EndInEachUsersGrain()
    {
        var a = Fresh("eh-a");
        var b = Fresh("eh-b");
        var ea = new EventBuilder(a);
        var eb = new EventBuilder(b);
        var loginA = ea.Track("login", Now.AddHours(-6));
        var bodies = new[]
        {
            Batch(loginA, ea.Track("session_started", Now.AddHours(-6).AddMinutes(1))),
            "{\"batch\":[{\"type\":\"track\"}]}",                                            // invalid: skipped, counted
            Batch(eb.Track("login", Now.AddHours(-5)), ea.Track("feature_used", Now.AddHours(-5), new { feature = "stems" })),
            loginA,                                                                          // a single event, redelivered
            Batch(ea.Track("session_ended", Now.AddHours(-4), new { duration_seconds = 60 })),
        };
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var adapter = new SegmentEventHubDataAdapter(serializer, new FakeTimeProvider(Now), NullLogger<SegmentEventHubDataAdapter>.Instance);
        var provider = fixture.Client.GetStreamProvider(SegmentStreamFixture.StreamProvider);

        for (var i = 0; i < bodies.Length; i++)
        {
            var message = EventHubsModelFactory.EventData(new BinaryData(Encoding.UTF8.GetBytes(bodies[i])), partitionKey: a, sequenceNumber: i, offsetString: $"{i * 100}", enqueuedTime: Now);
            var position = adapter.GetStreamPosition("0", message);
            var cached = adapter.FromQueueMessage(position, message, Now.UtcDateTime, size => new byte[size]);
            var container = adapter.GetBatchContainer(ref cached);
            foreach (var (batch, _) in container.GetEvents<UserEventBatch>())
            {
                await provider.GetStream<UserEventBatch>(container.StreamId).OnNextAsync(batch);
            }
        }

        Assert.Equal(1, adapter.InvalidMessages);
        Assert.Equal(4, (await WaitForEventsAppliedAsync(a, 4)).EventsApplied);
        Assert.Equal(1, (await WaitForEventsAppliedAsync(b, 1)).EventsApplied);
        Assert.Equal(5, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id in ('{a}', '{b}')"));
    }

    [Fact]
    public async Task PartitionCheckpoints_SurviveInPostgreSql_ThroughTheGrainCheckpointer()
    {
        var options = new GrainStreamQueueCheckpointerOptions
        {
            StorageProviderName = "Default",
            PersistInterval = TimeSpan.FromMilliseconds(1),
            CheckpointComparer = StreamCheckpointComparers.Numeric,
        };
        var provider = $"eh-{Guid.NewGuid():N}";
        var checkpointer = await GrainStreamQueueCheckpointer.Create(provider, "4", "sm-test", fixture.Client, options, CancellationToken.None);
        Assert.False(checkpointer.CheckpointExists);

        checkpointer.Update("4096", DateTime.UtcNow, CancellationToken.None);
        checkpointer.Update("8192", DateTime.UtcNow.AddSeconds(1), CancellationToken.None);
        await checkpointer.FlushAsync(CancellationToken.None);
        // Drop the checkpoint grain from memory, so the next load reads PostgreSQL.
        await fixture.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var reloaded = await GrainStreamQueueCheckpointer.Create(provider, "4", "sm-test", fixture.Client, options, CancellationToken.None);

        Assert.True(reloaded.CheckpointExists);
        Assert.Equal("8192", await reloaded.Load(CancellationToken.None));
        Assert.Equal(1, await fixture.Database.ScalarAsync<long>($"select count(*) from orleans.grain_state where grain_id_ext like '%{provider}%'"));
    }

    private IAsyncStream<UserEventBatch> Stream(string user) =>
        fixture.Client.GetStreamProvider(SegmentStreamFixture.StreamProvider)
            .GetStream<UserEventBatch>(StreamId.Create(SegmentStream.Namespace, user));

    /// <summary>Polls (generous bound, no timing asserted) until the user grain has applied <paramref name="expected"/> events.</summary>
    private async Task<UserView> WaitForEventsAppliedAsync(string user, long expected)
    {
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            var view = await grain.GetAsync();
            if (view is not null && view.EventsApplied >= expected)
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{user}: {view?.EventsApplied ?? 0} of {expected} events applied after {Bound}");
            // The silo runs on the fixture's fake clock, the pulling agents' timers too: let them tick.
            fixture.Time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.Delay(20);
        }
    }

    /// <summary>The oracle: the same events under another id, ingested directly, as the HTTP API does.</summary>
    private async Task<string> OracleViewAsync(string user, UserEvent[] events)
    {
        var other = Fresh("oracle");
        var grain = fixture.Client.GetGrain<IUserGrain>(other);
        await grain.IngestAsync(Events(events.Select(e => e.Json.Replace(user, other))));
        return Json(await grain.GetAsync()).Replace(other, "USER");
    }

    private static string Fresh(string name) => $"{name}-{Guid.NewGuid():N}"[..Math.Min(name.Length + 13, 40)];

    private static string Batch(params string[] events) => $"{{\"batch\":[{string.Join(",", events)}]}}";

    private static UserEvent[] Events(IEnumerable<string> json) => [.. json.Select(TestSupport.ToEvent)];

    private static string Json(UserView? view) => System.Text.Json.JsonSerializer.Serialize(view);
}
