using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using SampleMind.Analytics.Users;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Users;

[Collection(ClusterCollection.Name)]
public sealed class UserGrainTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;

    [Fact]
    public async Task Ingest_IsIdempotent_OnMessageId()
    {
        var user = Fresh("idem");
        var events = Events(EventBuilder.RealisticHistory(user, seed: 1, Now));
        var grain = fixture.Client.GetGrain<IUserGrain>(user);

        var first = await grain.IngestAsync(events);
        var viewAfterFirst = Json(await grain.GetAsync());
        var second = await grain.IngestAsync(events);

        Assert.Equal(new IngestResult(events.Length, events.Length, 0, events.Length), first);
        Assert.Equal(new IngestResult(events.Length, 0, events.Length, events.Length), second);
        Assert.Equal(viewAfterFirst, Json(await grain.GetAsync()));
        Assert.Equal(events.Length, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = '{user}'"));
    }

    [Fact]
    public async Task Ingest_CountsAnEventRepeatedInsideOneBatch_Once()
    {
        var user = Fresh("dup");
        var builder = new EventBuilder(user);
        var login = Events([builder.Track("login", Now.AddHours(-1))])[0];
        var grain = fixture.Client.GetGrain<IUserGrain>(user);

        var result = await grain.IngestAsync([login, login, login]);

        Assert.Equal(new IngestResult(3, 1, 2, 1), result);
    }

    [Fact]
    public async Task HundredUsers_InShuffledOrder_GiveTheSameStates_AsInOrder()
    {
        var random = new Random(42);
        var ordered = new List<(string User, UserEvent[] Events)>();
        var shuffledUsers = new List<string>();
        var shuffled = new List<(string User, UserEvent Event)>();
        for (var i = 0; i < 100; i++)
        {
            var a = Fresh($"ord{i}");
            var b = Fresh($"shuf{i}");
            ordered.Add((a, Events(EventBuilder.RealisticHistory(a, seed: i, Now))));
            shuffledUsers.Add(b);
            shuffled.AddRange(Events(EventBuilder.RealisticHistory(b, seed: i, Now)).Select(e => (b, e)));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));

        // In order: each user's events in batches of 25, in time order (users side by side).
        await Task.WhenAll(ordered.Select(async u =>
        {
            foreach (var chunk in u.Events.Chunk(25))
            {
                await fixture.Client.GetGrain<IUserGrain>(u.User).IngestAsync(chunk);
            }
        }));
        // Shuffled: the global stream cut into batches of 1–80 events, grouped by user as the API does; eight senders at once.
        var batches = new List<(string User, UserEvent Event)[]>();
        for (var offset = 0; offset < shuffled.Count;)
        {
            var size = random.Next(1, 81);
            batches.Add(shuffled.Skip(offset).Take(size).ToArray());
            offset += size;
        }
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, _) =>
            await Task.WhenAll(batch.GroupBy(x => x.User).Select(g => fixture.Client.GetGrain<IUserGrain>(g.Key).IngestAsync(g.Select(x => x.Event).ToArray()))));

        for (var i = 0; i < 100; i++)
        {
            var a = ordered[i].User;
            var b = shuffledUsers[i];
            var inOrder = Json(await fixture.Client.GetGrain<IUserGrain>(a).GetAsync()).Replace(a, "USER");
            var outOfOrder = Json(await fixture.Client.GetGrain<IUserGrain>(b).GetAsync()).Replace(b, "USER");
            Assert.Equal(inOrder, outOfOrder);
        }
    }

    [Fact]
    public async Task SegmentAndWap_MoveInTheVeryCall_ThatCrossesTheSeedThreshold()
    {
        var user = Fresh("cross");
        var builder = new EventBuilder(user);
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        await grain.IngestAsync(Events(
        [
            builder.Track("signup_started", Now.AddDays(-120)),
            builder.Track("subscription_started", Now.AddDays(-100), new { plan = "starter", amount = 9.99 }),
            .. Enumerable.Range(1, 4).Select(i => builder.Track("analysis_completed", Now.AddDays(-i))),
        ]));

        var before = await grain.GetAsync();
        Assert.Equal(("unclassified", 4, false), (before!.Segment, before.AnalysesLast7Days, before.IsWeeklyActiveProducer));

        await grain.IngestAsync(Events([builder.Track("analysis_completed", Now.AddMinutes(-1))]));

        var after = await grain.GetAsync();
        Assert.Equal(("regulars", 5, true), (after!.Segment, after.AnalysesLast7Days, after.IsWeeklyActiveProducer));
        Assert.Equal("regulars", (await grain.GetRiskAsync())!.Segment);
        Assert.Equal(new SegmentTransition(DateOnly.FromDateTime(Now.UtcDateTime), "unclassified", "regulars"), after.SegmentHistory[^1]);
    }

    [Fact]
    public async Task Activation_ReplaysTheLogTail_ThatTheSnapshotDoesNotHold()
    {
        var user = Fresh("replay");
        var history = EventBuilder.RealisticHistory(user, seed: 3, Now);
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        var head = Events(history[..^10]);
        await grain.IngestAsync(head);
        var expected = await OracleViewAsync(user, history);

        await fixture.DeactivateAllAsync();
        // Events committed to the log by an activation that died before applying them (sequence numbers beyond the snapshot).
        var tail = history[^10..];
        for (var i = 0; i < tail.Length; i++)
        {
            var facts = EventFacts.Parse(tail[i]);
            await using var insert = fixture.Database.DataSource.CreateCommand(
                "insert into user_events (user_id, message_id, seq, type, event, ts, payload) values ($1, $2, $3, $4, $5, $6, $7::jsonb)");
            insert.Parameters.AddWithValue(user);
            insert.Parameters.AddWithValue(facts.MessageId);
            insert.Parameters.AddWithValue((long)(10_000 + i));
            insert.Parameters.AddWithValue(facts.Type);
            insert.Parameters.AddWithValue((object?)facts.Name ?? DBNull.Value);
            insert.Parameters.AddWithValue(facts.Timestamp);
            insert.Parameters.AddWithValue(tail[i]);
            await insert.ExecuteNonQueryAsync();
        }

        var view = await grain.GetAsync();
        Assert.Equal(history.Length, view!.EventsApplied);
        Assert.Equal(expected, Json(view).Replace(user, "USER"));

        // The replayed events are durable parts of the user now: delivering them again changes nothing.
        var again = await grain.IngestAsync(Events(tail));
        Assert.Equal(new IngestResult(10, 0, 10, history.Length), again);
    }

    [Fact]
    public async Task Snapshot_RestoresTheSameState_AfterDeactivation()
    {
        var user = Fresh("snap");
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        var events = Events(EventBuilder.RealisticHistory(user, seed: 9, Now));
        foreach (var chunk in events.Chunk(60))
        {
            await grain.IngestAsync(chunk);
        }
        var before = Json(await grain.GetAsync());

        await fixture.DeactivateAllAsync();

        Assert.Equal(before, Json(await grain.GetAsync()));
    }

    [Theory]
    [InlineData("""{"UserId":"u","EventsApplied":3,"Days":{"20000":{"Events":3,"LastAt":"2024-10-04T10:00:00+00:00"}},"Traits":{"plan":{"Value":"pro","At":"2024-10-04T10:00:00+00:00","MessageId":"m1"}}}""")]
    [InlineData("not json at all")]
    [InlineData("""{"Format":4,"EventsApplied":1,"Activation":[1]}""")]
    public async Task Snapshot_ThisVersionCannotRead_IsDropped_AndTheUserRebuiltFromTheLog(string stored)
    {
        var user = Fresh("oldsnap");
        var history = EventBuilder.RealisticHistory(user, seed: 5, Now);
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        await grain.IngestAsync(Events(history));
        var expected = Json(await grain.GetAsync());
        await fixture.DeactivateAllAsync(); // writes the snapshot

        // The snapshot as an older version (format 1: the model's own JSON) or a damaged write left it.
        var storage = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider.GetRequiredKeyedService<IGrainStorage>("Default");
        var state = new GrainState<UserState>(new UserState());
        await storage.ReadStateAsync("user", grain.GetGrainId(), state);
        var snapshot = Assert.IsType<UserState>(state.State);
        Assert.Equal(history.Length, snapshot.AppliedSeq);
        snapshot.Model = Encoding.UTF8.GetBytes(stored);
        await storage.WriteStateAsync("user", grain.GetGrainId(), state);

        Assert.Equal(expected, Json(await grain.GetAsync()));
        var again = await grain.IngestAsync(Events(history[..5]));
        Assert.Equal(new IngestResult(5, 0, 5, history.Length), again);
    }

    [Fact]
    public async Task UnknownUser_HasNoView()
    {
        var grain = fixture.Client.GetGrain<IUserGrain>(Fresh("nobody"));
        Assert.Null(await grain.GetAsync());
        Assert.Null(await grain.GetRiskAsync());
    }

    [Fact]
    public async Task ALateAppendOfADeadActivation_TakesPositions_ThisActivationWantedNext_AndIsAppliedWithTheNewEvents()
    {
        var user = Fresh("late");
        var history = EventBuilder.RealisticHistory(user, seed: 5, Now);
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        var head = history[..^10];
        await grain.IngestAsync(Events(head));
        var expected = await OracleViewAsync(user, history);

        // An activation that died (kill -9) with its append still running in PostgreSQL: the rows commit after this
        // activation read the log, at the positions it will number its next events with.
        await InsertIntoLogAsync(user, history[^10..^7], firstSeq: head.Length + 1);

        var result = await grain.IngestAsync(Events(history[^7..]));

        Assert.Equal(new IngestResult(7, 7, 0, history.Length), result);
        Assert.Equal(expected, Json(await grain.GetAsync()).Replace(user, "USER"));
        Assert.Equal((long)history.Length, await fixture.Database.ScalarAsync<long>($"select count(distinct seq) from user_events where user_id = '{user}'"));
        // The snapshot's position covers every row the model holds: a later activation replays nothing twice and misses nothing.
        await fixture.DeactivateAllAsync();
        Assert.Equal(expected, Json(await grain.GetAsync()).Replace(user, "USER"));
    }

    [Fact]
    public async Task AClientsRetry_OfEventsADeadActivationStoredLate_IsADuplicate_AndTheEventsAreApplied()
    {
        var user = Fresh("retry");
        var history = EventBuilder.RealisticHistory(user, seed: 6, Now);
        var grain = fixture.Client.GetGrain<IUserGrain>(user);
        var head = history[..^10];
        await grain.IngestAsync(Events(head));
        var expected = await OracleViewAsync(user, history);

        // The dead activation's append of the last 10 committed late; its client never got the 200 and sends them again.
        await InsertIntoLogAsync(user, history[^10..], firstSeq: head.Length + 1);
        var retry = await grain.IngestAsync(Events(history[^10..]));

        Assert.Equal(new IngestResult(10, 0, 10, history.Length), retry);
        Assert.Equal(expected, Json(await grain.GetAsync()).Replace(user, "USER"));
        Assert.Equal((long)history.Length, await fixture.Database.ScalarAsync<long>($"select count(*) from user_events where user_id = '{user}'"));
    }

    private async Task InsertIntoLogAsync(string user, string[] events, long firstSeq)
    {
        for (var i = 0; i < events.Length; i++)
        {
            var facts = EventFacts.Parse(events[i]);
            await using var insert = fixture.Database.DataSource.CreateCommand(
                "insert into user_events (user_id, message_id, seq, type, event, ts, payload) values ($1, $2, $3, $4, $5, $6, $7::jsonb)");
            insert.Parameters.AddWithValue(user);
            insert.Parameters.AddWithValue(facts.MessageId);
            insert.Parameters.AddWithValue(firstSeq + i);
            insert.Parameters.AddWithValue(facts.Type);
            insert.Parameters.AddWithValue((object?)facts.Name ?? DBNull.Value);
            insert.Parameters.AddWithValue(facts.Timestamp);
            insert.Parameters.AddWithValue(events[i]);
            await insert.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The oracle: the same events under another id, ingested in one call by a grain that never deactivated.</summary>
    private async Task<string> OracleViewAsync(string user, string[] history)
    {
        var other = Fresh("oracle");
        var grain = fixture.Client.GetGrain<IUserGrain>(other);
        await grain.IngestAsync(Events(history.Select(h => h.Replace(user, other))));
        return Json(await grain.GetAsync()).Replace(other, "USER");
    }

    private static string Fresh(string name) => $"{name}-{Guid.NewGuid():N}"[..Math.Min(name.Length + 13, 40)];

    private static UserEvent[] Events(IEnumerable<string> json) => [.. json.Select(TestSupport.ToEvent)];

    private static string Json(UserView? view) => JsonSerializer.Serialize(view);
}
