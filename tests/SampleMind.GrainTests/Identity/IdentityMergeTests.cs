using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SampleMind.Analytics.Campaigns;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Analytics.Kpis;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Simulation;
using SampleMind.Campaigns;
using SampleMind.FunnelMetrics;
using SampleMind.Identity;
using SampleMind.Kpis;
using SampleMind.Segments;
using SampleMind.Users;

namespace SampleMind.GrainTests.Identity;

[CollectionDefinition(Name)]
public sealed class IdentityClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "identity-cluster";
}

/// <summary>
/// Issue 13.2 with grains on real PostgreSQL: identify (anonymousId + userId) and alias (previousId → userId) merge the
/// anonymous history into the person exactly once, later anonymous events and reads land on the person, and every
/// people-counting aggregate (KPI days and weeks, funnels, campaigns, segment path) equals the SQL oracle after each case.
/// </summary>
[Collection(IdentityClusterCollection.Name)]
public sealed class IdentityMergeTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;
    private static readonly DateTimeOffset SimulatedNow = new(ClusterFixture.Start.UtcDateTime.Date.AddDays(-300), TimeSpan.Zero);

    [Fact]
    public async Task Identify_MergesTheAnonymousHistory_LaterAnonymousEventsAndReadsLandOnThePerson_AndRetriesChangeNothing()
    {
        var anon = Fresh("anon");
        var user = Fresh("user");
        var day = Now.AddDays(-40);
        var visit = Anon(anon, "page", day, name: "pricing", campaign: "id-spring");
        var anonymous = new[]
        {
            visit,
            Anon(anon, "track", day.AddMinutes(1), name: "signup_started"),
            Anon(anon, "track", day.AddMinutes(3), name: "email_verified"),
        };
        await Grain(anon).IngestAsync(anonymous);
        var identify = Ev(user, anon, "identify", day.AddMinutes(4), traits: new JsonObject { ["plan"] = "free" });
        var person = new[]
        {
            identify,
            Ev(user, null, "track", day.AddMinutes(6), name: "sample_uploaded"),
            Ev(user, null, "track", day.AddMinutes(7), name: "analysis_completed"),
        };
        var result = await Grain(user).IngestAsync(person);

        Assert.Equal(new IngestResult(3, 3, 0, 6), result);
        Assert.Equal(0, await RowsAsync(anon));
        Assert.Equal(6, await RowsAsync(user));
        Assert.Equal($"{user} identify 3", await LinkAsync(anon));
        var view = (await Grain(user).GetAsync())!;
        Assert.Equal(6, view.EventsApplied);
        Assert.Equal(user, (await Grain(anon).GetAsync())!.UserId); // a read by the anonymousId answers the person
        Assert.Equal(view.EventsApplied, (await Grain(anon).GetAsync())!.EventsApplied);

        // Later events with only the anonymousId land on the person; retries of anything (same messageIds) are duplicates.
        var later = Anon(anon, "track", day.AddMinutes(9), name: "feature_used", properties: new JsonObject { ["feature"] = "stems" });
        Assert.Equal(new IngestResult(1, 1, 0, 7), await Grain(anon).IngestAsync([later]));
        Assert.Equal(new IngestResult(4, 0, 4, 7), await Grain(anon).IngestAsync([.. anonymous, later]));
        Assert.Equal(new IngestResult(3, 0, 3, 7), await Grain(user).IngestAsync(person));
        Assert.Equal(0, await RowsAsync(anon));
        Assert.Equal(7, await RowsAsync(user));

        // After reactivation from the snapshot and the log: the same person, the anonymous key still forwarding.
        await fixture.DeactivateAllAsync();
        Assert.Equal(7, (await Grain(anon).GetAsync())!.EventsApplied);
        Assert.Equal(7, (await Grain(user).GetAsync())!.EventsApplied);

        // The visit's campaign is the person's first touch; the anonymous signup is the person's funnel step; DAU = 1.
        var campaign = await CampaignOracle.CampaignsAsync(fixture.Database.DataSource);
        Assert.Equal(1, campaign["id-spring"].Users);
        Assert.Equal(1, campaign["id-spring"].Signups);
        var kpi = (await KpiOracle.DaysAsync(fixture.Database.DataSource, DateOnly.FromDateTime(day.UtcDateTime), DateOnly.FromDateTime(day.UtcDateTime))).Values.Single();
        Assert.Equal(1, kpi.Dau);
        await AssertAggregatesEqualTheOracleAsync();
        Assert.Equal(1, (await fixture.Client.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(DateOnly.FromDateTime(day.UtcDateTime))).GetTotalsAsync()).ToFigures().Dau);
    }

    [Fact]
    public async Task AMergeBeforeTheAnonymousEvents_AndTwoDevices_GiveOnePerson_CountedOnceADay()
    {
        var phone = Fresh("phone");
        var laptop = Fresh("laptop");
        var user = Fresh("user");
        var day = Now.AddDays(-35);

        // Device 1: identify first, its anonymous events arrive afterwards (a late, offline queue).
        await Grain(user).IngestAsync([Ev(user, phone, "identify", day.AddHours(2), traits: new JsonObject { ["plan"] = "free" })]);
        Assert.Equal($"{user} identify 0", await LinkAsync(phone));
        var early = new[]
        {
            Anon(phone, "page", day, name: "home", campaign: "id-phone"),
            Anon(phone, "track", day.AddMinutes(1), name: "signup_started"),
        };
        Assert.Equal(new IngestResult(2, 2, 0, 3), await Grain(phone).IngestAsync(early));

        // Device 2: anonymous events first, then identify on the same day, then the person's own events.
        await Grain(laptop).IngestAsync([
            Anon(laptop, "page", day.AddHours(3), name: "home", campaign: "id-laptop"),
            Anon(laptop, "track", day.AddHours(3).AddMinutes(1), name: "session_started"),
        ]);
        await Grain(user).IngestAsync([
            Ev(user, laptop, "identify", day.AddHours(4), traits: new JsonObject { ["plan"] = "free" }),
            Ev(user, null, "track", day.AddHours(4).AddMinutes(1), name: "session_started"),
        ]);

        Assert.Equal(7, (await Grain(user).GetAsync())!.EventsApplied);
        Assert.Equal(7, await RowsAsync(user));
        Assert.Equal(0, await RowsAsync(phone) + await RowsAsync(laptop));
        Assert.Equal(7, (await Grain(phone).GetAsync())!.EventsApplied);
        Assert.Equal(7, (await Grain(laptop).GetAsync())!.EventsApplied);

        // One person: DAU 1 on that day, first touch the phone's campaign (the earliest), the second session reached.
        var kpi = (await KpiOracle.DaysAsync(fixture.Database.DataSource, DateOnly.FromDateTime(day.UtcDateTime), DateOnly.FromDateTime(day.UtcDateTime))).Values.Single();
        Assert.Equal(1, kpi.Dau);
        var campaigns = await CampaignOracle.CampaignsAsync(fixture.Database.DataSource);
        Assert.Equal(1, campaigns["id-phone"].Users);
        Assert.False(campaigns.ContainsKey("id-laptop"));
        await AssertAggregatesEqualTheOracleAsync();
    }

    [Fact]
    public async Task AliasChain_Resolves_ALoopKeepsOnePerson_AndAliasWithAnUnknownPreviousIdJustLinksIt()
    {
        var a = Fresh("a");
        var b = Fresh("b");
        var c = Fresh("c");
        var day = Now.AddDays(-30);
        await Grain(a).IngestAsync([Anon(a, "track", day, name: "signup_started"), Anon(a, "track", day.AddMinutes(1), name: "email_verified")]);
        await Grain(b).IngestAsync([Ev(b, null, "track", day.AddHours(1), name: "sample_uploaded")]);
        await Grain(c).IngestAsync([Ev(c, null, "track", day.AddHours(2), name: "analysis_completed")]);

        // a → b, then b → c: the chain resolves to c, and the map stays flat (a's link re-pointed to c).
        await Grain(b).IngestAsync([Alias(b, a, day.AddHours(3))]);
        await Grain(c).IngestAsync([Alias(c, b, day.AddHours(4))]);
        Assert.Equal($"{c} alias 2", await LinkAsync(a)); // re-pointed to c; it still says what its own merge moved (a's 2 events)
        Assert.Equal(c, (await LinkAsync(b))!.Split(' ')[0]);
        Assert.Equal(6, await RowsAsync(c));
        foreach (var key in new[] { a, b, c })
        {
            Assert.Equal(6, (await Grain(key).GetAsync())!.EventsApplied);
        }

        // A loop: c → a (alias previousId c, userId a). a resolves to c: the alias is stored on c and nothing moves.
        Assert.Equal(new IngestResult(1, 1, 0, 7), await Grain(a).IngestAsync([Alias(a, c, day.AddHours(5))]));
        Assert.Equal(7, await RowsAsync(c));
        Assert.Null(await LinkAsync(c));
        Assert.Equal(0, await RowsAsync(a) + await RowsAsync(b));
        await AssertAggregatesEqualTheOracleAsync();
    }

    [Fact]
    public async Task AliasesBothWaysAtOnce_EndAsOnePerson_WithEveryEventOnce()
    {
        for (var round = 0; round < 5; round++)
        {
            var x = Fresh("x");
            var y = Fresh("y");
            var day = Now.AddDays(-15 - round);
            await Grain(x).IngestAsync([Ev(x, null, "track", day, name: "signup_started"), Ev(x, null, "track", day.AddMinutes(1), name: "login")]);
            await Grain(y).IngestAsync([Ev(y, null, "track", day.AddMinutes(2), name: "sample_uploaded")]);
            var xy = Alias(x, y, day.AddMinutes(3));
            var yx = Alias(y, x, day.AddMinutes(4));

            // Both at once: one merge claims the pair, the other fails fast (no deadlock) and its client's retry finds it done.
            var attempts = 0;
            async Task SendAsync(string key, UserEvent alias)
            {
                while (true)
                {
                    Interlocked.Increment(ref attempts);
                    try
                    {
                        await Grain(key).IngestAsync([alias]);
                        return;
                    }
                    catch (InvalidOperationException e) when (e.Message.Contains("in progress", StringComparison.Ordinal))
                    {
                        await Task.Delay(20);
                    }
                }
            }
            await Task.WhenAll(SendAsync(x, xy), SendAsync(y, yx));

            var links = await fixture.Database.RowsAsync("select merged_id || '>' || person_id from identity_links where merged_id in (@x, @y)", ("x", x), ("y", y));
            var root = Assert.Single(links).Split('>')[1];
            Assert.Contains(root, new[] { x, y });
            Assert.Equal(5, await RowsAsync(root));
            Assert.Equal(5, (await Grain(x).GetAsync())!.EventsApplied);
            Assert.Equal(5, (await Grain(y).GetAsync())!.EventsApplied);
            Assert.Equal(root, (await Grain(x == root ? y : x).GetAsync())!.UserId);
            Assert.True(attempts >= 2);
        }
        await AssertAggregatesEqualTheOracleAsync();
    }

    [Fact]
    public async Task AnAnonymousIdStaysWithTheFirstPerson_AndAnAliasMergesOnePersonIntoAnother_WithNothingLost()
    {
        var anon = Fresh("anon");
        var first = Fresh("first");
        var second = Fresh("second");
        var day = Now.AddDays(-25);
        await Grain(anon).IngestAsync([Anon(anon, "page", day, name: "home", campaign: "id-shared")]);
        await Grain(first).IngestAsync([Ev(first, anon, "identify", day.AddMinutes(5), traits: new JsonObject { ["plan"] = "free" })]);
        await Grain(second).IngestAsync([
            Ev(second, null, "track", day.AddHours(1), name: "signup_started"),
            Ev(second, null, "track", day.AddHours(1).AddMinutes(1), name: "payment_succeeded", properties: new JsonObject { ["amount"] = 20 }),
        ]);

        // identify(second, anon): anon already belongs to first, so it stays; the identify itself is second's event.
        await Grain(second).IngestAsync([Ev(second, anon, "identify", day.AddHours(2), traits: new JsonObject { ["plan"] = "pro" })]);
        Assert.Equal(first, (await LinkAsync(anon))!.Split(' ')[0]);
        Assert.Equal(2, await RowsAsync(first));
        Assert.Equal(3, await RowsAsync(second));

        // alias(previousId first → second): the person first (with anon's history) is merged into second.
        await Grain(second).IngestAsync([Alias(second, first, day.AddHours(3))]);
        Assert.Equal(second, (await LinkAsync(first))!.Split(' ')[0]);
        Assert.Equal(second, (await LinkAsync(anon))!.Split(' ')[0]);
        Assert.Equal(6, await RowsAsync(second));
        Assert.Equal(0, await RowsAsync(first) + await RowsAsync(anon));
        var view = (await Grain(anon).GetAsync())!;
        Assert.Equal(second, view.UserId);
        Assert.Equal(6, view.EventsApplied);
        Assert.Equal(20m, view.LifetimeRevenue);
        var campaigns = await CampaignOracle.CampaignsAsync(fixture.Database.DataSource);
        Assert.Equal((1, 1, 1, 20m), (campaigns["id-shared"].Users, campaigns["id-shared"].Signups, campaigns["id-shared"].Conversions, campaigns["id-shared"].Revenue));
        await AssertAggregatesEqualTheOracleAsync();
    }

    [Fact]
    public async Task ConcurrentEventsOnBothIds_WithTheMergeInTheMiddle_AndClientRetries_AreAppliedExactlyOnce()
    {
        var people = Enumerable.Range(0, 12).Select(i => (Anon: Fresh($"ca{i}"), User: Fresh($"cu{i}"))).ToArray();
        var day = Now.AddDays(-20);
        var sent = new Dictionary<string, int>();
        await Parallel.ForEachAsync(people, new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (p, _) =>
        {
            var anonEvents = Enumerable.Range(0, 30).Select(i => Anon(p.Anon, "track", day.AddMinutes(i), name: i == 0 ? "signup_started" : "feature_used",
                properties: new JsonObject { ["feature"] = $"f{i % 4}" })).ToArray();
            var userEvents = Enumerable.Range(0, 30).Select(i => Ev(p.User, null, "track", day.AddMinutes(i).AddSeconds(30), name: "analysis_completed")).ToArray();
            var identify = Ev(p.User, p.Anon, "identify", day.AddMinutes(15), traits: new JsonObject { ["plan"] = "free" });
            // Three senders at once: the anonymous device, the person's server, and the identify sent three times.
            var sends = new List<Task>
            {
                Task.Run(async () => { foreach (var chunk in anonEvents.Chunk(3)) { await Grain(p.Anon).IngestAsync(chunk); await Grain(p.Anon).IngestAsync(chunk); } }),
                Task.Run(async () => { foreach (var chunk in userEvents.Chunk(5)) { await Grain(p.User).IngestAsync(chunk); } }),
                Task.Run(async () => { for (var r = 0; r < 3; r++) { await Grain(p.User).IngestAsync([identify]); await Task.Yield(); } }),
            };
            await Task.WhenAll(sends);
            // The retry of everything, by the anonymous key (as a browser's queue would resend it).
            await Grain(p.Anon).IngestAsync([.. anonEvents]);
            lock (sent)
            {
                sent[p.User] = anonEvents.Length + userEvents.Length + 1;
            }
        });
        foreach (var p in people)
        {
            Assert.Equal(sent[p.User], await RowsAsync(p.User));
            Assert.Equal(0, await RowsAsync(p.Anon));
            Assert.Equal(sent[p.User], (await Grain(p.User).GetAsync())!.EventsApplied);
            Assert.Equal(sent[p.User], (await Grain(p.Anon).GetAsync())!.EventsApplied);
        }
        await AssertAggregatesEqualTheOracleAsync();
    }

    [Fact]
    public async Task FirstAndLastTouch_FollowThePersonThroughTheMerges_AndCountPeopleNotAnonymousKeys()
    {
        var phone = Fresh("phone");
        var laptop = Fresh("laptop");
        var stranger = Fresh("stranger");
        var user = Fresh("user");
        var day = Now.AddDays(-12);
        string search = $"at-search-{user[^6..]}", retarget = $"at-retarget-{user[^6..]}", after = $"at-after-{user[^6..]}";

        // Phone: the campaign visit, then signup with identify. Laptop: a retargeting visit, identify, then the person pays.
        await Grain(phone).IngestAsync([Anon(phone, "page", day, name: "landing", campaign: search),
            Anon(phone, "track", day.AddMinutes(1), name: "signup_started")]);
        await Grain(user).IngestAsync([Ev(user, phone, "identify", day.AddMinutes(2), traits: new JsonObject { ["plan"] = "free" })]);
        await Grain(laptop).IngestAsync([Anon(laptop, "page", day.AddDays(7), name: "pricing", campaign: retarget)]);
        await Grain(user).IngestAsync([
            Ev(user, laptop, "identify", day.AddDays(7).AddMinutes(1), traits: new JsonObject { ["plan"] = "free" }),
            Ev(user, null, "track", day.AddDays(8), name: "payment_succeeded", properties: new JsonObject { ["amount"] = 50 }),
        ]);
        // After the conversion: a visit from a third campaign on the laptop (forwarded to the person) is no last touch.
        await Grain(laptop).IngestAsync([Anon(laptop, "page", day.AddDays(9), name: "blog", campaign: after)]);
        // Someone who never signs up: one anonymous person under the retargeting campaign in both models.
        await Grain(stranger).IngestAsync([Anon(stranger, "page", day.AddDays(7), name: "pricing", campaign: retarget)]);

        var view = (await Grain(laptop).GetAsync())!;
        Assert.Equal((user, search, 7L), (view.UserId, view.Profile.Campaign, view.EventsApplied));
        var oracle = await CampaignOracle.AttributedAsync(fixture.Database.DataSource);
        Assert.Equal((1, 1, 1, 50m), Figures(oracle[search].FirstTouch));
        Assert.True(oracle[search].LastTouch.IsZero);
        Assert.Equal((1, 0, 0, 0m), Figures(oracle[retarget].FirstTouch));   // the stranger
        Assert.Equal((2, 1, 1, 50m), Figures(oracle[retarget].LastTouch));   // the person and the stranger
        Assert.False(oracle.ContainsKey(after));
        await AssertAggregatesEqualTheOracleAsync();

        // The grains say the same, per model, with spend: CAC and ROI count the merged person once.
        await fixture.Client.GetGrain<ICampaignGrain>(retarget).AddSpendAsync(100m, null, $"{retarget}-spend");
        var last = (await fixture.Client.GetGrain<ICampaignGrain>(retarget).GetAttributedAsync(AttributionModel.LastTouch))!;
        var first = (await fixture.Client.GetGrain<ICampaignGrain>(retarget).GetAttributedAsync(AttributionModel.FirstTouch))!;
        Assert.Equal(("last_touch", 2, 1, 100m, 50m, -0.5m), (last.Attribution, last.Users, last.Conversions, last.Cac, last.Ltv, last.Roi));
        Assert.Equal(("first_touch", 1, 0, (decimal?)null, (decimal?)null, -1m), (first.Attribution, first.Users, first.Conversions, first.Cac, first.Ltv, first.Roi));

        // After every grain deactivates (snapshots, then the log), the same figures.
        await fixture.DeactivateAllAsync();
        await Grain(user).IngestAsync([Ev(user, null, "track", day.AddDays(10), name: "login")]);
        await AssertAggregatesEqualTheOracleAsync();
    }

    [Fact]
    public async Task ASimulatedLoadWithMerges_GivesTheSimulatorsPeople_AndEveryAggregateEqualsTheOracle()
    {
        var simulator = new PopulationSimulator(new SimulationOptions
        {
            Users = 150, Days = 45, Seed = 31, Identity = true,
            // Far from the days the other tests here count people on (they share the cluster and the database).
            Now = SimulatedNow,
        });
        using var stream = new MemoryStream();
        simulator.WriteNdjson(stream);
        var truth = simulator.GetGroundTruth();
        var events = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(json =>
        {
            var root = JsonNode.Parse(json)!;
            return (Key: (string?)root["userId"] ?? (string)root["anonymousId"]!, Type: (string)root["type"]!, Event: TestSupport.ToEvent(json));
        }).ToArray();

        // As client-api delivers them: batches in time order, each key's events of a batch to its grain, keys in parallel;
        // then a client's retry of a random tenth (by the key it was sent with), in another order.
        foreach (var batch in events.Chunk(250))
        {
            await Task.WhenAll(batch.GroupBy(e => e.Key).Select(g => Grain(g.Key).IngestAsync([.. g.Select(e => e.Event)])));
        }
        var retried = events.Where((_, i) => i % 10 == 3).ToArray();
        new Random(31).Shuffle(retried);
        foreach (var batch in retried.Chunk(100))
        {
            await Task.WhenAll(batch.GroupBy(e => e.Key).Select(g => Grain(g.Key).IngestAsync([.. g.Select(e => e.Event)])));
        }

        var people = truth.Users.Where(u => u.Events > 0).ToList();
        var anonymousIds = people.Sum(p => p.AnonymousIds!.Count);
        Assert.True(anonymousIds >= 30, $"{anonymousIds} anonymousIds");
        Assert.True(people.Count(p => p.AnonymousIds!.Count == 2) >= 5, "some people have two devices");
        Assert.True(events.Count(e => e.Type == "alias") >= 2, "some people alias");
        Assert.True(people.Count(p => p.LastTouchCampaign != p.Campaign) >= 5, "some people's last touch is another campaign");

        // Every person's events under the person, exactly as many as the simulator sent; no anonymous key keeps a row.
        var rows = (await fixture.Database.RowsAsync(
                "select user_id || ' ' || count(*) from user_events where user_id ~ '^[uab]31-' group by user_id order by user_id"))
            .ToArray();
        Assert.Equal(people.OrderBy(p => p.UserId, StringComparer.Ordinal).Select(p => $"{p.UserId} {p.Events}"), rows);
        Assert.Equal(anonymousIds, await fixture.Database.ScalarAsync<long>(
            "select count(*) from identity_links where merged_id ~ '^[ab]31-' and person_id ~ '^u31-'"));
        foreach (var person in people.Where(p => p.AnonymousIds!.Count > 0).Take(10))
        {
            Assert.Equal(person.UserId, (await Grain(person.AnonymousIds![^1]).GetAsync())!.UserId);
        }

        // Campaigns count people: first touch by the acquisition campaign, last touch by the latest campaign before paying.
        var oracle = await CampaignOracle.AttributedAsync(fixture.Database.DataSource);
        foreach (var campaign in SimulationCatalog.Channels.SelectMany(c => c.Campaigns).Select(c => c.Name))
        {
            var figures = oracle.GetValueOrDefault(campaign) ?? new CampaignAttribution();
            Assert.Equal(people.Count(p => p.Campaign == campaign), figures.FirstTouch.Users);
            Assert.Equal(people.Count(p => p.LastTouchCampaign == campaign), figures.LastTouch.Users);
            Assert.Equal(people.Where(p => p.Campaign == campaign).Sum(p => p.Revenue), figures.FirstTouch.Revenue);
        }
        await AssertAggregatesEqualTheOracleAsync(SimulatedNow.AddDays(-60), SimulatedNow.AddDays(7));
    }

    [Fact]
    public async Task Erase_OfAMergedPerson_SubtractsTheirShareExactly_DeletesTheirRows_AndRefusesTheirRetries()
    {
        var anon = Fresh("anon");
        var user = Fresh("user");
        var other = Fresh("other");
        var day = Now.AddDays(-20);
        var anonymous = new[]
        {
            Anon(anon, "page", day, name: "pricing", campaign: "erase-spring"),
            Anon(anon, "track", day.AddMinutes(1), name: "signup_started"),
            Anon(anon, "track", day.AddMinutes(1.5), name: "feature_used", properties: new JsonObject { ["feature"] = "erase-feature" }),
        };
        var person = new[]
        {
            Ev(user, anon, "identify", day.AddMinutes(2), traits: new JsonObject { ["plan"] = "free" }),
            Ev(user, null, "track", day.AddMinutes(3), name: "email_verified"),
            Ev(user, null, "track", day.AddMinutes(4), name: "sample_uploaded"),
            Ev(user, null, "track", day.AddMinutes(5), name: "analysis_completed", properties: new JsonObject
            {
                ["model"] = "erase_model", ["model_version"] = "1.0", ["processing_time_ms"] = 120, ["accuracy"] = 0.9,
            }),
            Ev(user, null, "track", day.AddMinutes(6), name: "payment_succeeded", properties: new JsonObject { ["amount"] = 29 }),
            Ev(user, null, "track", day.AddMinutes(7), name: "feature_used", properties: new JsonObject { ["feature"] = "erase-feature" }),
        };
        // Someone else active on the same day and campaign: their share stays.
        var others = new[]
        {
            Ev(other, null, "page", day.AddHours(1), name: "pricing", campaign: "erase-spring"),
            Ev(other, null, "track", day.AddHours(1).AddMinutes(1), name: "signup_started"),
            Ev(other, null, "track", day.AddHours(1).AddMinutes(2), name: "analysis_completed", properties: new JsonObject
            {
                ["model"] = "erase_model", ["model_version"] = "1.0", ["processing_time_ms"] = 80, ["accuracy"] = 0.7,
            }),
            Ev(other, null, "track", day.AddHours(1).AddMinutes(3), name: "feature_used", properties: new JsonObject { ["feature"] = "erase-feature" }),
        };
        await Grain(anon).IngestAsync(anonymous);
        await Grain(user).IngestAsync(person);
        await Grain(other).IngestAsync(others);
        await AssertAggregatesEqualTheOracleAsync();
        Assert.Equal(2, (await CampaignOracle.CampaignsAsync(fixture.Database.DataSource))["erase-spring"].Users);

        var job = Guid.NewGuid();
        await fixture.Database.ExecuteAsync(
            "insert into erasure_jobs (id, user_hash, user_id, state, requested_by) values (@id, 'h', @u, 'queued', 'test')",
            ("id", job), ("u", user));
        var feature = fixture.Client.GetGrain<SampleMind.Features.IFeatureGrain>("erase-feature");
        Assert.Equal((2L, 3L, 29m), ((await feature.GetAsync()).Adopters!.Value, (await feature.GetAsync()).Uses!.Value, (await feature.GetAsync()).AdopterRevenue!.Value));
        Assert.Equal(new ErasureResult(user, 2, 9), await Grain(anon).EraseAsync(job)); // a merged key erases its person

        // Every aggregate equals SQL over what remains: the other person alone on that day and campaign.
        await AssertAggregatesEqualTheOracleAsync();
        Assert.Equal(1, (await CampaignOracle.CampaignsAsync(fixture.Database.DataSource))["erase-spring"].Users);
        var versions = (await fixture.Client.GetGrain<ModelVersions.IModelVersionGrain>("erase_model@1.0").GetAsync());
        Assert.Equal(1, versions.Requests);
        Assert.Equal((1L, 1L, 0m), ((await feature.GetAsync()).Adopters!.Value, (await feature.GetAsync()).Uses!.Value, (await feature.GetAsync()).AdopterRevenue!.Value));
        Assert.Equal("done  2 9", (await fixture.Database.RowsAsync(
            "select state || ' ' || coalesce(user_id, '') || ' ' || erased_keys || ' ' || erased_events from erasure_jobs where id = @id",
            ("id", job))).Single());
        Assert.Equal(0, await RowsAsync(user) + await RowsAsync(anon));
        Assert.Null(await LinkAsync(anon));
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>(
            "select count(*) from orleans.grain_state where grain_id_ext in (@u, @a)", ("u", user), ("a", anon)));
        Assert.Equal(2, await fixture.Database.ScalarAsync<long>(
            "select count(*) from erasure_tombstones where job_id = @id", ("id", job)));

        // Retried old messages (and new ones) of either key are acked as duplicates and stored nowhere, also after the
        // grains were deactivated (a fresh activation reads the tombstone); a re-run of the finished job changes nothing.
        Assert.Equal(new IngestResult(6, 0, 6, 0), await Grain(user).IngestAsync(person));
        await fixture.DeactivateAllAsync();
        Assert.Equal(new IngestResult(3, 0, 3, 0), await Grain(anon).IngestAsync(anonymous));
        Assert.Equal(new IngestResult(6, 0, 6, 0), await Grain(user).IngestAsync(person));
        Assert.Null(await Grain(user).GetAsync());
        Assert.Null(await Grain(anon).GetAsync());
        Assert.Equal(new ErasureResult(user, 1, 0), await Grain(user).EraseAsync(job));
        Assert.Equal(0, await RowsAsync(user) + await RowsAsync(anon));
        await AssertAggregatesEqualTheOracleAsync();
        Assert.Equal(1, (await fixture.Client.GetGrain<ModelVersions.IModelVersionGrain>("erase_model@1.0").GetAsync()).Requests);
    }

    private static (int, int, int, decimal) Figures(CampaignFigures f) => (f.Users, f.Signups, f.Conversions, f.Revenue);

    private async Task AssertAggregatesEqualTheOracleAsync(DateTimeOffset? fromTime = null, DateTimeOffset? toTime = null)
    {
        var source = fixture.Database.DataSource;
        Assert.All(await IdentityOracle.CheckAsync(source), c => Assert.True(c.Violations == 0, $"{c.Violations} {c.Invariant}"));
        var from = DateOnly.FromDateTime((fromTime ?? Now.AddDays(-60)).UtcDateTime);
        var to = DateOnly.FromDateTime((toTime ?? Now.AddDays(7)).UtcDateTime);
        await TestSupport.EventuallyAsync(async () =>
        {
            var days = await KpiOracle.DaysAsync(source, from, to);
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                var live = (await fixture.Client.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(day)).GetTotalsAsync()).ToFigures();
                var expected = days.GetValueOrDefault(day) ?? new KpiDayFigures();
                if (Describe(live) != Describe(expected))
                {
                    return $"{day}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
            }
            foreach (var (week, wap) in await KpiOracle.WeeksAsync(source, from, to))
            {
                if ((await fixture.Client.GetGrain<IKpiWeekGrain>(week).GetAsync()).Wap != wap)
                {
                    return $"{week}: WAP differs from SQL {wap}";
                }
            }
            foreach (var (id, expected) in await CampaignOracle.AttributedAsync(source))
            {
                foreach (var model in new[] { AttributionModel.FirstTouch, AttributionModel.LastTouch })
                {
                    var live = (await fixture.Client.GetGrain<ICampaignGrain>(id).GetAttributedTotalsAsync(model)).ToFigures();
                    var sql = model == AttributionModel.LastTouch ? expected.LastTouch : expected.FirstTouch;
                    if (Describe(live) != Describe(sql))
                    {
                        return $"campaign {id} {model.Name()}: live {Describe(live)} ≠ SQL {Describe(sql)}";
                    }
                }
            }
            foreach (var name in FunnelFigures.Names)
            {
                var expected = await FunnelOracle.FunnelAsync(source, name);
                var live = (await fixture.Client.GetGrain<IFunnelGrain>(name).GetTotalsAsync()).ToFigures(expected.StepUsers.Length);
                if (Describe(live) != Describe(expected))
                {
                    return $"funnel {name}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
            }
            // Feature analytics count people: a merge moves the anonymous key's adoption, uses and active weeks to the person.
            var (features, _) = await SampleMind.Features.FeatureReconciliation.CheckAsync(fixture.Client, source);
            if (features.Count > 0)
            {
                return $"features: {string.Join("\n", features.Take(5))}";
            }
            var segments = await SegmentOracle.FiguresAsync(source);
            var liveSegments = (await fixture.Client.GetGrain<ISegmentsGrain>(ISegmentsGrain.Key).GetTotalsAsync()).ToFigures();
            return Describe(liveSegments) == Describe(segments) ? null : $"segments: live {Describe(liveSegments)}\n≠ SQL {Describe(segments)}";
        });
    }

    private IUserGrain Grain(string key) => fixture.Client.GetGrain<IUserGrain>(key);

    private Task<long> RowsAsync(string user)
        => fixture.Database.ScalarAsync<long>("select count(*) from user_events where user_id = @u", ("u", user));

    private async Task<string?> LinkAsync(string merged)
        => (await fixture.Database.RowsAsync("select person_id || ' ' || via || ' ' || moved_events from identity_links where merged_id = @m", ("m", merged))).SingleOrDefault();

    private static string Fresh(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 13)];

    private static int s_counter;

    private static UserEvent Anon(string anonymousId, string type, DateTimeOffset at, string? name = null, string? campaign = null, JsonObject? properties = null)
        => Ev(null, anonymousId, type, at, name, campaign, properties);

    private static UserEvent Alias(string userId, string previousId, DateTimeOffset at)
    {
        var e = Ev(userId, null, "alias", at);
        var json = JsonNode.Parse(e.Json)!.AsObject();
        json["previousId"] = previousId;
        return TestSupport.ToEvent(json.ToJsonString());
    }

    private static UserEvent Ev(string? userId, string? anonymousId, string type, DateTimeOffset at, string? name = null, string? campaign = null,
        JsonObject? properties = null, JsonObject? traits = null)
    {
        var json = new JsonObject
        {
            ["type"] = type,
            ["messageId"] = $"{userId ?? anonymousId}-{Interlocked.Increment(ref s_counter):D6}",
            ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["properties"] = properties ?? new JsonObject(),
            ["context"] = campaign is null ? new JsonObject() : new JsonObject { ["campaign"] = new JsonObject { ["name"] = campaign, ["source"] = "google", ["medium"] = "cpc" } },
        };
        if (userId is not null)
        {
            json["userId"] = userId;
        }
        if (anonymousId is not null)
        {
            json["anonymousId"] = anonymousId;
        }
        if (type == "track")
        {
            json["event"] = name;
        }
        else if (name is not null)
        {
            json["name"] = name;
        }
        if (traits is not null)
        {
            json["traits"] = traits;
        }
        return TestSupport.ToEvent(json.ToJsonString());
    }

    private static string Describe(KpiDayFigures f) => Kpis.KpiRollupTests.Describe(f);

    private static string Describe(CampaignFigures f) => $"users={f.Users} signups={f.Signups} conversions={f.Conversions} revenue={f.Revenue:0.####}";

    private static string Describe(FunnelFigures f)
        => $"steps={string.Join(',', f.StepUsers)} durations={string.Join(" | ", f.Durations.Select(h => string.Join(',', h.Select((c, b) => (c, b)).Where(x => x.c != 0).Select(x => $"{x.b}:{x.c}"))))}";

    private static string Describe(SegmentFigures f)
        => string.Join(" | ", f.Changes.OrderBy(d => d.Key).Select(d => $"{DateOnly.FromDayNumber(d.Key):MM-dd} " +
               string.Join(',', d.Value.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}{v.Value:+0;-0}"))))
           + " || " + string.Join(" | ", f.Transitions.OrderBy(d => d.Key).Select(d => $"{DateOnly.FromDayNumber(d.Key):MM-dd} " +
               string.Join(',', d.Value.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"))));
}
