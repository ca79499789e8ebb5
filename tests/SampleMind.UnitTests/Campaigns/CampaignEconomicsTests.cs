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
    public void UserShare_CountsSignupConversionAndRevenue_OfTheFirstTouchCampaign()
    {
        var events = new EventBuilder("c1");
        var model = Apply("c1",
            events.Identify(Now.AddDays(-3), new { campaign = "summer" }),
            events.Identify(Now.AddDays(-2), new { campaign = "autumn" }),
            events.Track("signup_started", Now.AddDays(-2)),
            events.Track("payment_succeeded", Now.AddDays(-1), new { amount = 10.5 }),
            events.Track("payment_succeeded", Now, new { amount = 4.5 }));

        var (campaign, share) = CampaignFigures.Of(model)!.Value;

        Assert.Equal("summer", campaign);
        Assert.Equal((1, 1, 1, 15m), (share.Users, share.Signups, share.Conversions, share.Revenue));
    }

    [Fact]
    public void LateEarlierIdentify_MovesTheWholeShare_ToTheEarlierCampaign()
    {
        var events = new EventBuilder("c2");
        var model = Apply("c2",
            events.Identify(Now.AddDays(-2), new { campaign = "autumn" }),
            events.Track("payment_succeeded", Now, new { amount = 20 }));
        var before = CampaignFigures.Of(model);

        model.Apply(EventFacts.Parse(events.Identify(Now.AddDays(-9), new { campaign = "summer" })));
        var deltas = CampaignFigures.Difference(before, CampaignFigures.Of(model)).ToDictionary(d => d.Campaign, d => d.Delta);

        Assert.Equal((-1, 0, -1, -20m), (deltas["autumn"].Users, deltas["autumn"].Signups, deltas["autumn"].Conversions, deltas["autumn"].Revenue));
        Assert.Equal((1, 0, 1, 20m), (deltas["summer"].Users, deltas["summer"].Signups, deltas["summer"].Conversions, deltas["summer"].Revenue));
    }

    [Fact]
    public void UnchangedShare_GivesNoDelta()
    {
        var events = new EventBuilder("c3");
        var model = Apply("c3", events.Identify(Now, new { campaign = "autumn" }));
        var before = CampaignFigures.Of(model);
        model.Apply(EventFacts.Parse(events.Track("login", Now)));

        Assert.Empty(CampaignFigures.Difference(before, CampaignFigures.Of(model)));
    }

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
