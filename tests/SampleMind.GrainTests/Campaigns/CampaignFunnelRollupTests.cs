using SampleMind.Analytics.Campaigns;
using SampleMind.Analytics.FunnelMetrics;
using SampleMind.Analytics.Users;
using SampleMind.Campaigns;
using SampleMind.FunnelMetrics;
using SampleMind.Users;

namespace SampleMind.GrainTests.Campaigns;

/// <summary>A cluster of its own: these tests compare campaign and funnel grains with SQL over the whole event log.</summary>
[CollectionDefinition(Name)]
public sealed class CampaignClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "campaign-funnel-cluster";
}

[Collection(CampaignClusterCollection.Name)]
public sealed class CampaignFunnelRollupTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;

    [Fact]
    public async Task CampaignsAndFunnels_EqualTheSqlOracle_AfterShuffledIngestWithLateEarlierIdentifies()
    {
        var random = new Random(11);
        var events = new List<(string User, UserEvent Event)>();
        string[] campaigns = ["oracle-spring", "oracle-summer", "oracle-autumn"];
        for (var i = 0; i < 40; i++)
        {
            var user = $"cf-{i}";
            var builder = new EventBuilder($"{user}-x");
            var json = new List<string>(EventBuilder.RealisticHistory(user, seed: 300 + i, Now));
            if (i % 5 == 4)
            {
                json.RemoveAll(j => j.Contains("payment_succeeded", StringComparison.Ordinal) || j.Contains("session_started", StringComparison.Ordinal));
            }
            if (i % 6 == 5)
            {
                json.RemoveAll(j => j.Contains("email_verified", StringComparison.Ordinal));
            }
            if (i % 8 == 3)
            {
                json.RemoveAll(j => j.Contains("signup_started", StringComparison.Ordinal)); // signed up by created_at alone
            }
            if (i % 9 == 2)
            {
                json.RemoveAll(j => j.Contains("signup_started", StringComparison.Ordinal) || j.Contains("created_at", StringComparison.Ordinal)); // never signed up
            }
            // A later touch, then (delivered in any order) an earlier one for some users: the earliest must win.
            json.Add(builder.Identify(Now.AddDays(-60), new { campaign = campaigns[i % 3] }));
            if (i % 4 == 0)
            {
                json.Add(builder.Identify(Now.AddDays(-80), new { campaign = campaigns[(i + 1) % 3] }));
            }
            if (i % 7 == 0)
            {
                json.Add(builder.Track("page_view", Now.AddDays(-90)).Replace("\"properties\":{}", "\"properties\":{},\"context\":{\"campaign\":{\"name\":\"oracle-utm\"}}", StringComparison.Ordinal));
            }
            events.AddRange(json.Select(j => (user, TestSupport.ToEvent(j))));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        foreach (var batch in events.Chunk(50))
        {
            await Task.WhenAll(batch.GroupBy(x => x.User).Select(g =>
                fixture.Client.GetGrain<IUserGrain>(g.Key).IngestAsync([.. g.Select(x => x.Event)])));
        }

        var oracle = await CampaignOracle.CampaignsAsync(fixture.Database.DataSource);
        Assert.Equal(["oracle-autumn", "oracle-spring", "oracle-summer", "oracle-utm"], oracle.Keys.Where(k => k.StartsWith("oracle-", StringComparison.Ordinal)));
        Assert.Equal(40, oracle.Where(p => p.Key.StartsWith("oracle-", StringComparison.Ordinal)).Sum(p => p.Value.Users));
        Assert.Contains(oracle.Values, f => f.Conversions > 0 && f.Conversions < f.Users);
        Assert.Contains(oracle.Values, f => f.Signups > 0 && f.Signups < f.Users);
        var funnels = new Dictionary<string, FunnelFigures>();
        foreach (var name in FunnelFigures.Names)
        {
            funnels[name] = await FunnelOracle.FunnelAsync(fixture.Database.DataSource, name);
        }
        Assert.True(funnels[Funnels.Activation].StepUsers[^1] > 0, "some users reach second_session");
        Assert.True(funnels[Funnels.Activation].StepUsers[^1] < 40, "some users do not");
        Assert.True(funnels[Funnels.Monetization].StepUsers[^1] > 0);

        await TestSupport.EventuallyAsync(async () =>
        {
            foreach (var (id, expected) in oracle)
            {
                var live = (await fixture.Client.GetGrain<ICampaignGrain>(id).GetTotalsAsync()).ToFigures();
                if (Describe(live) != Describe(expected))
                {
                    return $"campaign {id}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
            }
            var listed = await fixture.Client.GetGrain<ICampaignCatalogGrain>(ICampaignCatalogGrain.Key).ListAsync();
            if (oracle.Keys.Except(listed).FirstOrDefault() is { } missing)
            {
                return $"campaign {missing} is not in the catalogue";
            }
            foreach (var (name, expected) in funnels)
            {
                var live = (await fixture.Client.GetGrain<IFunnelGrain>(name).GetTotalsAsync()).ToFigures(expected.StepUsers.Length);
                if (Describe(live) != Describe(expected))
                {
                    return $"funnel {name}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
            }
            return null;
        });

        // The derived view: conversions and medians from those figures.
        var view = await fixture.Client.GetGrain<IFunnelGrain>(Funnels.Activation).GetAsync();
        var activation = funnels[Funnels.Activation];
        Assert.Equal(Funnels.ActivationSteps, view.Steps.Select(s => s.Step));
        Assert.Equal(Math.Round((decimal)activation.StepUsers[1] / activation.StepUsers[0], 6), view.Steps[1].Conversion);
        Assert.Equal(DurationHistogram.MedianSeconds(activation.Durations[0]), view.Steps[1].MedianSecondsFromPrevious);
        Assert.Equal(240.0, view.Steps[1].MedianSecondsFromPrevious!.Value, 0.5 * 240.0 * 0.19); // 4 minutes from signup to verification
    }

    [Fact]
    public async Task SeedMarketingTable_IsReproduced_ByTheCampaignGrains()
    {
        (string Channel, decimal Spend, int Conversions, decimal Ltv, decimal SeedCac, decimal Roi)[] table =
        [
            ("paid_search", 50000m, 500, 400m, 100m, 3.0m),
            ("social_media", 30000m, 450, 380m, 67m, 4.7m),
            ("content_marketing", 20000m, 600, 420m, 33m, 11.6m),
            ("influencer", 40000m, 800, 450m, 50m, 8.0m),
        ];
        foreach (var row in table)
        {
            var users = Enumerable.Range(0, row.Conversions).Select(i =>
            {
                var user = $"seed-{row.Channel}-{i}";
                var events = new EventBuilder(user);
                var at = Now.AddDays(-20).AddMinutes(i);
                return (User: user, Events: new[]
                {
                    events.Identify(at, new { acquisition_source = row.Channel, campaign = row.Channel }),
                    events.Track("signup_started", at.AddMinutes(1)),
                    // Realized revenue per converted user = the seed's LTV, over two payments.
                    events.Track("payment_succeeded", at.AddDays(1), new { amount = row.Ltv / 2 }),
                    events.Track("payment_succeeded", at.AddDays(31), new { amount = row.Ltv / 2 }),
                });
            });
            foreach (var chunk in users.Chunk(25))
            {
                await Task.WhenAll(chunk.Select(u => fixture.Client.GetGrain<IUserGrain>(u.User).IngestAsync([.. u.Events.Select(TestSupport.ToEvent)])));
            }
            // A retried POST with the same idempotency key counts once.
            var grain = fixture.Client.GetGrain<ICampaignGrain>(row.Channel);
            await grain.AddSpendAsync(row.Spend / 2, new DateOnly(2026, 6, 1), $"{row.Channel}-june");
            await grain.AddSpendAsync(row.Spend / 2, new DateOnly(2026, 6, 1), $"{row.Channel}-june");
            await grain.AddSpendAsync(row.Spend / 2, null, $"{row.Channel}-july");
        }

        await TestSupport.EventuallyAsync(async () =>
        {
            foreach (var row in table)
            {
                var view = await fixture.Client.GetGrain<ICampaignGrain>(row.Channel).GetAsync();
                if (view is null || (view.Users, view.Signups, view.Conversions, view.Revenue, view.Spend) != (row.Conversions, row.Conversions, row.Conversions, row.Ltv * row.Conversions, row.Spend))
                {
                    return $"{row.Channel}: {view}";
                }
            }
            return null;
        });

        foreach (var row in table)
        {
            var view = (await fixture.Client.GetGrain<ICampaignGrain>(row.Channel).GetAsync())!;
            Assert.Equal((row.Conversions, row.Conversions, row.Conversions, row.Ltv * row.Conversions), (view.Users, view.Signups, view.Conversions, view.Revenue));
            Assert.Equal(Math.Round(row.Spend / row.Conversions, CampaignEconomics.Decimals), view.Cac);
            Assert.Equal(row.SeedCac, Math.Round(view.Cac!.Value, 0, MidpointRounding.AwayFromZero));
            Assert.Equal(row.Ltv, view.Ltv);
            Assert.Equal(row.Roi, view.Roi);
        }

        // Spend is durable: it survives deactivation.
        await fixture.DeactivateAllAsync();
        Assert.Equal(50000m, (await fixture.Client.GetGrain<ICampaignGrain>("paid_search").GetAsync())!.Spend);
    }

    [Fact]
    public async Task UnknownCampaign_IsNull_AndSpendOnANewCampaign_ListsIt()
    {
        Assert.Null(await fixture.Client.GetGrain<ICampaignGrain>("never-seen").GetAsync());

        var view = await fixture.Client.GetGrain<ICampaignGrain>("spend-first").AddSpendAsync(12.5m, null, null);

        Assert.Equal((12.5m, 0, (decimal?)null, -1m), (view.Spend, view.Conversions, view.Cac, view.Roi));
        Assert.Contains("spend-first", await fixture.Client.GetGrain<ICampaignCatalogGrain>(ICampaignCatalogGrain.Key).ListAsync());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Client.GetGrain<ICampaignGrain>("spend-first").AddSpendAsync(-1m, null, null));
        Assert.Equal(12.5m, (await fixture.Client.GetGrain<ICampaignGrain>("spend-first").GetAsync())!.Spend);
    }

    private static string Describe(CampaignFigures f) => $"users={f.Users} signups={f.Signups} conversions={f.Conversions} revenue={f.Revenue:0.####}";

    private static string Describe(FunnelFigures f)
        => $"steps={string.Join(',', f.StepUsers)} durations={string.Join(" | ", f.Durations.Select(h => string.Join(',', h.Select((c, b) => (c, b)).Where(x => x.c != 0).Select(x => $"{x.b}:{x.c}"))))}";
}
