using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Users;

/// <summary>
/// The rules of the event reader that live ingest and replay share: numbers in strings, the last of a repeated name,
/// context traits when the event has no traits object, scalars only.
/// </summary>
public sealed class EventFactsTests
{
    [Fact]
    public void Properties_AcceptNumbersInStrings_AndBooleansAsNumbers_AndDropEmptyStrings()
    {
        var f = EventFacts.Parse("""
            {"type":"track","event":"a","messageId":"m","timestamp":"2026-01-01T00:00:00Z",
             "properties":{"amount":"12.5","revenue":3,"rating":"4","error":1,"correct":"true","duration_ms":1500,"plan":7,"feature":"","model":{"x":1}}}
            """);

        Assert.Equal((12.5m, 4.0, true, true, 1.5, "7"), (f.Amount!.Value, f.Rating!.Value, f.Error!.Value, f.Correct!.Value, f.DurationSeconds!.Value, f.Plan));
        Assert.Null(f.Feature);
        Assert.Null(f.Model);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), f.Timestamp);
        Assert.Empty(f.Traits);
    }

    [Fact]
    public void IdentifyTraits_KeepScalarsAsText_AndFallBackToContextTraits()
    {
        var own = EventFacts.Parse("""
            {"type":"identify","messageId":"m","timestamp":"2026-01-01T00:00:00Z",
             "traits":{"plan":"pro","a":1.50,"b":true,"c":null,"d":{"x":1},"e":[1],"f":"","created_at":"2025-01-01","email":"x@y"},
             "context":{"traits":{"source":"s"},"campaign":{"name":"c","source":"g","medium":"m"},"device":{"model":"iphone"}}}
            """);
        var fromContext = EventFacts.Parse("""
            {"type":"identify","messageId":"m","timestamp":"2026-01-01T00:00:00Z","traits":5,
             "context":{"traits":{"plan":"trial","createdAt":"2025-02-01T00:00:00Z","campaign_id":9}}}
            """);

        Assert.Equal(
            new Dictionary<string, string> { ["plan"] = "pro", ["a"] = "1.50", ["b"] = "true", ["c"] = "null", ["f"] = "", ["created_at"] = "2025-01-01", ["email"] = "x@y" },
            own.Traits);
        Assert.Equal(("pro", "x@y", "g", "c", "g", "m", "c", "iphone"), (own.Plan, own.Email, own.Source, own.Campaign, own.UtmSource, own.UtmMedium, own.UtmCampaign, own.Device));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), own.CreatedAt);
        Assert.Equal(("trial", "9", new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero)), (fromContext.Plan, fromContext.Campaign, fromContext.CreatedAt!.Value));
    }

    [Fact]
    public void RepeatedNames_TheLastOneCounts()
    {
        var f = EventFacts.Parse("""
            {"type":"track","messageId":"m","messageId":"n","timestamp":"2026-01-01T00:00:00Z","properties":{"model":"a","model":"b"},"properties":{"model":"c"}}
            """);
        var lastIsNoObject = EventFacts.Parse("""{"messageId":"m","timestamp":"2026-01-01T00:00:00Z","properties":{"model":"a"},"properties":3}""");

        Assert.Equal(("n", "c"), (f.MessageId, f.Model));
        Assert.Null(lastIsNoObject.Model);
    }

    [Theory]
    [InlineData("""{"messageId":"m"}""")]
    [InlineData("""{"timestamp":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""[1]""")]
    [InlineData("""{"messageId":"m","timestamp":"2026-01-01T00:00:00Z"} x""")]
    [InlineData("""{"messageId":"m","timestamp":""")]
    public void Unreadable_Events_AreRejected(string json)
        => Assert.ThrowsAny<Exception>(() => EventFacts.Parse(json));
}
