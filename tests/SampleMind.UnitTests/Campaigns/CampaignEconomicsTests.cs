using SampleMind.Analytics.Campaigns;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Campaigns;

public sealed class CampaignEconomicsTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 30, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The seed's marketing table: channel, spend, conversions, CAC (rounded to whole dollars in the seed), LTV, ROI.</summary>
    public static TheoryData<string, decimal, int, decimal, decimal, decimal> SeedTable => new()
    {
        { "paid_search", 50000m, 500, 100m, 400m, 3.0m },
        { "social_media", 30000m, 450, 67m, 380m, 4.7m },
        { "content_marketing", 20000m, 600, 33m, 420m, 11.6m },
        { "influencer", 40000m, 800, 50m, 450m, 8.0m },
    };

    [Theory]
    [MemberData(nameof(SeedTable))]
    public void SeedTableRows_AreReproduced_FromSpendConversionsAndRealizedRevenue(string channel, decimal spend, int conversions, decimal seedCac, decimal ltv, decimal roi)
    {
        var economics = CampaignEconomics.From(spend, conversions, ltv * conversions);

        Assert.Equal(Math.Round(spend / conversions, CampaignEconomics.Decimals), economics.Cac);
        Assert.Equal(seedCac, Math.Round(economics.Cac!.Value, 0, MidpointRounding.AwayFromZero));
        Assert.Equal(ltv, economics.Ltv);
        Assert.Equal(roi, economics.Roi);
        Assert.Equal(roi, CampaignEconomics.RoiFromLtv(spend, conversions, ltv));
        Assert.NotNull(channel);
    }

    [Fact]
    public void Ratios_AreNull_WithoutConversionsOrSpend()
    {
        Assert.Equal(new CampaignEconomics(null, null, -1m), CampaignEconomics.From(100m, 0, 0m));
        Assert.Equal(new CampaignEconomics(null, 10m, null), CampaignEconomics.From(0m, 2, 20m));
    }

    [Fact]
    public void PersonShare_CountsSignupConversionAndRevenue_OfTheFirstAndTheLastTouchCampaign()
    {
        var events = new EventBuilder("c1");
        var model = Apply("c1",
            events.Identify(Now.AddDays(-3), new { campaign = "summer" }),
            events.Identify(Now.AddDays(-2), new { campaign = "autumn" }),
            events.Track("signup_started", Now.AddDays(-2)),
            events.Track("payment_succeeded", Now.AddDays(-1), new { amount = 10.5 }),
            events.Identify(Now.AddHours(-1), new { campaign = "winter" }), // after the conversion: no last touch
            events.Track("payment_succeeded", Now, new { amount = 4.5 }));

        var shares = CampaignAttribution.SharesOf(model, c => c);

        Assert.Equal(["autumn", "summer"], shares.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((1, 1, 1, 15m), Figures(shares["summer"].FirstTouch));
        Assert.True(shares["summer"].LastTouch.IsZero);
        Assert.Equal((1, 1, 1, 15m), Figures(shares["autumn"].LastTouch));
        Assert.True(shares["autumn"].FirstTouch.IsZero);
        Assert.Equal("autumn", model.LastTouch!.Value.Value);
    }

    [Fact]
    public void LastTouch_IsTheLatestTouchBeforeTheFirstPayment_WhateverTheOrderOfArrival()
    {
        var events = new EventBuilder("c4");
        string[] json =
        [
            events.Track("page_view", Now.AddDays(-9)).Replace("\"properties\":{}", Utm("spring"), StringComparison.Ordinal),
            events.Track("page_view", Now.AddDays(-5)).Replace("\"properties\":{}", Utm("retarget"), StringComparison.Ordinal),
            events.Track("payment_succeeded", Now.AddDays(-3), new { amount = 30 }),
            events.Track("page_view", Now.AddDays(-3)).Replace("\"properties\":{}", Utm("same-instant"), StringComparison.Ordinal),
            events.Track("page_view", Now.AddDays(-1)).Replace("\"properties\":{}", Utm("after"), StringComparison.Ordinal),
            events.Track("payment_succeeded", Now, new { amount = 30 }),
        ];
        var random = new Random(3);
        for (var round = 0; round < 20; round++)
        {
            var order = json.ToArray();
            random.Shuffle(order);
            var model = Apply("c4", order);
            Assert.Equal("spring", model.Campaign!.Value.Value);
            Assert.Equal("same-instant", model.LastTouch!.Value.Value); // at the conversion's instant counts, after it does not
            Assert.Equal(3, model.Touches.Length);
        }
        // Before any payment the last touch is the latest touch; a late, earlier payment moves it back.
        var unpaid = Apply("c5", json[0], json[1], json[4]);
        Assert.Equal("after", unpaid.LastTouch!.Value.Value);
        unpaid.Apply(EventFacts.Parse(events.Track("payment_succeeded", Now.AddDays(-6), new { amount = 5 })));
        Assert.Equal("spring", unpaid.LastTouch!.Value.Value);
        // A person whose first touch came after the conversion has a first-touch campaign and no last-touch one.
        var late = Apply("c6", json[2], json[4]);
        Assert.Equal("after", late.Campaign!.Value.Value);
        Assert.Null(late.LastTouch);
        Assert.Equal(["after"], CampaignAttribution.SharesOf(late, c => c).Keys);
    }

    [Fact]
    public void LateEarlierIdentify_MovesTheWholeShare_ToTheEarlierCampaign()
    {
        var events = new EventBuilder("c2");
        var model = Apply("c2",
            events.Identify(Now.AddDays(-2), new { campaign = "autumn" }),
            events.Track("payment_succeeded", Now, new { amount = 20 }));
        var before = CampaignAttribution.SharesOf(model, c => c);

        model.Apply(EventFacts.Parse(events.Identify(Now.AddDays(-9), new { campaign = "summer" })));
        var deltas = CampaignAttribution.Difference(before, CampaignAttribution.SharesOf(model, c => c)).ToDictionary(d => d.Campaign, d => d.Delta);

        Assert.Equal((-1, 0, -1, -20m), Figures(deltas["autumn"].FirstTouch));
        Assert.Equal((1, 0, 1, 20m), Figures(deltas["summer"].FirstTouch));
        Assert.True(deltas["autumn"].LastTouch.IsZero); // the latest touch before the payment is still autumn
        Assert.False(deltas.ContainsKey("winter"));
    }

    [Fact]
    public void UnchangedShare_GivesNoDelta()
    {
        var events = new EventBuilder("c3");
        var model = Apply("c3", events.Identify(Now, new { campaign = "autumn" }));
        var before = CampaignAttribution.SharesOf(model, c => c);
        model.Apply(EventFacts.Parse(events.Track("login", Now)));

        Assert.Empty(CampaignAttribution.Difference(before, CampaignAttribution.SharesOf(model, c => c)));
    }

    private static string Utm(string campaign)
        => "\"properties\":{},\"context\":{\"campaign\":{\"name\":\"" + campaign + "\",\"source\":\"google\",\"medium\":\"cpc\"}}";

    private static (int, int, int, decimal) Figures(CampaignFigures f) => (f.Users, f.Signups, f.Conversions, f.Revenue);

    private static UserModel Apply(string user, params string[] json)
    {
        var model = new UserModel { UserId = user };
        foreach (var e in json)
        {
            model.Apply(EventFacts.Parse(e));
        }
        return model;
    }
}
