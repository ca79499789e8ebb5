using System.Globalization;
using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Ingest;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Ingest;

/// <summary>The per-event limits (IngestLimits): each refused with its field and index, each boundary value kept.</summary>
public sealed class IngestLimitsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 20, 14, 0, TimeSpan.Zero);

    private static SegmentReadResult Read(string body) => SegmentBatchReader.Read(Encoding.UTF8.GetBytes(body), SegmentEndpoint.Batch, Now);

    private static string Batch(params string[] items) => $$"""{"batch":[{{string.Join(",", items)}}]}""";

    private static string Event(string fields) => $$"""{"type":"track","messageId":"m","userId":"u","event":"payment_succeeded",{{fields}}}""";

    private static void AssertRefused(SegmentReadResult result, string key, string message)
    {
        Assert.False(result.IsValid);
        Assert.Empty(result.Events);
        Assert.Equal([1], result.InvalidIndexes);
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, Assert.Single(error.Value), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("userId")]
    [InlineData("anonymousId")]
    [InlineData("messageId")]
    public void Ids_Over255Utf8Bytes_AreRefused_AndExactly255AreKept(string id)
    {
        // 'é' is two UTF-8 bytes: 128 of them are 256 bytes in 128 characters.
        var over = new string('é', 128);
        var at = new string('é', 127) + "x";
        string With(string value) => $$"""{"type":"track","messageId":"m","userId":"u","anonymousId":"a","event":"login","{{id}}":"{{value}}"}""";
        AssertRefused(Read(Batch(With("ok"), With(over))), $"batch[1].{id}", "is 256 bytes; the limit is 255");
        Assert.True(Read(Batch(With(at))).IsValid);
    }

    [Theory]
    [InlineData("userId", "\\u0000", "U+0000 at 2")]
    [InlineData("anonymousId", "\\u0000", "U+0000 at 2")]
    [InlineData("messageId", "\\n", "U+000A at 2")]
    [InlineData("userId", "\\u001f", "U+001F at 2")]
    public void Ids_WithAControlCharacter_AreRefused_AndOtherCharactersAreKept(string id, string control, string where)
    {
        string With(string value) => $$"""{"type":"track","messageId":"m","userId":"u","anonymousId":"a","event":"login","{{id}}":"{{value}}"}""";
        AssertRefused(Read(Batch(With("ok"), With($"ab{control}cd"))), $"batch[1].{id}", $"contains the control character {where}; ids may not");
        Assert.True(Read(Batch(With("ab\\u007fé 😀 cd"))).IsValid); // DEL, non-ASCII and a space are fine
    }

    [Theory]
    [InlineData("alias", "previousId")]
    [InlineData("group", "groupId")]
    public void PreviousIdAndGroupId_Over255Bytes_AreRefused(string type, string field)
    {
        var ok = $$"""{"type":"{{type}}","messageId":"m0","userId":"u","{{field}}":"p"}""";
        var bad = $$"""{"type":"{{type}}","messageId":"m1","userId":"u","{{field}}":"{{new string('p', 256)}}"}""";
        AssertRefused(Read(Batch(ok, bad)), $"batch[1].{field}", "is 256 bytes; the limit is 255");
    }

    [Fact]
    public void EventNames_Over200Bytes_AreRefused()
    {
        var ok = Event("\"properties\":{}");
        var bad = $$"""{"type":"track","messageId":"m1","userId":"u","event":"{{new string('e', 201)}}"}""";
        AssertRefused(Read(Batch(ok, bad)), "batch[1].event", "is 201 bytes; the limit is 200");
    }

    [Theory]
    [InlineData("\"properties\":{\"model\":\"X\"}", "batch[1].properties.model")]
    [InlineData("\"properties\":{\"model_version\":\"X\"}", "batch[1].properties.model_version")]
    [InlineData("\"properties\":{\"feature\":\"X\"}", "batch[1].properties.feature")]
    [InlineData("\"properties\":{\"plan\":\"X\"}", "batch[1].properties.plan")]
    [InlineData("\"context\":{\"campaign\":{\"name\":\"X\"}}", "batch[1].context.campaign.name")]
    [InlineData("\"context\":{\"campaign\":{\"source\":\"X\"}}", "batch[1].context.campaign.source")]
    [InlineData("\"context\":{\"campaign\":{\"medium\":\"X\"}}", "batch[1].context.campaign.medium")]
    [InlineData("\"context\":{\"traits\":{\"campaign\":\"X\"}}", "batch[1].context.traits.campaign")]
    [InlineData("\"traits\":{\"acquisition_source\":\"X\"}", "batch[1].traits.acquisition_source")]
    public void DimensionValues_Over200Bytes_AreRefused_AndExactly200AreKept(string template, string key)
    {
        AssertRefused(Read(Batch(Event("\"properties\":{}"), Event(template.Replace("X", new string('v', 3000), StringComparison.Ordinal)))),
            key, "is 3000 bytes; the limit is 200");
        Assert.True(Read(Batch(Event(template.Replace("X", new string('v', 200), StringComparison.Ordinal)))).IsValid);
    }

    [Theory]
    [InlineData("amount", "1e300")]
    [InlineData("amount", "1e400")]
    [InlineData("amount", "-5000")]
    [InlineData("amount", "1000000000.01")]
    [InlineData("amount", "\"1e300\"")]
    [InlineData("revenue", "-0.01")]
    [InlineData("accuracy", "7.5")]
    [InlineData("accuracy", "-0.1")]
    [InlineData("processing_time_ms", "-1")]
    [InlineData("duration_seconds", "1e13")]
    [InlineData("cost_usd", "-3")]
    public void NumbersOutOfRange_AreRefused(string property, string value)
    {
        AssertRefused(Read(Batch(Event("\"properties\":{}"), Event($"\"properties\":{{\"{property}\":{value}}}"))),
            $"batch[1].properties.{property}", "must be a finite number from");
    }

    [Theory]
    [InlineData("processing_time_ms", "\"fast\"")]
    [InlineData("amount", "true")]
    [InlineData("accuracy", "{\"v\":1}")]
    [InlineData("amount", "[1]")]
    public void KnownNumbers_OfAnotherType_AreRefused(string property, string value)
    {
        AssertRefused(Read(Batch(Event("\"properties\":{}"), Event($"\"properties\":{{\"{property}\":{value}}}"))),
            $"batch[1].properties.{property}", "must be a number");
    }

    [Theory]
    [InlineData("amount", "0", 0)]
    [InlineData("amount", "1000000000", 1_000_000_000)]
    [InlineData("amount", "\"29.99\"", 29.99)]
    [InlineData("amount", "-0", 0)]
    [InlineData("accuracy", "1", 1)]
    [InlineData("accuracy", "0", 0)]
    public void BoundaryNumbers_AreKept_AndTheModelReadsThemExactly(string property, string value, double expected)
    {
        var result = Read(Batch(Event($"\"properties\":{{\"{property}\":{value}}}")));
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(",", e.Value)}")));
        var facts = EventFacts.Parse(Assert.Single(result.Events).Json);
        Assert.Equal((decimal)expected, property == "amount" ? facts.Amount : facts.Accuracy);
    }

    /// <summary>
    /// Random events (fixed seed): ids, names and dimension values of random lengths and characters, numbers of every
    /// magnitude and sign, strings, wrong types and nesting. The reader never throws; an event is accepted exactly when
    /// every limit holds, and what it accepts the model reads back without loss (money exactly, as decimals).
    /// </summary>
    [Fact]
    public void Fuzz_TheReaderAcceptsExactlyTheEventsWithinEveryLimit_AndNeverThrows()
    {
        const int seed = 20261206;
        var random = new Random(seed);
        int accepted = 0, refused = 0;
        for (var round = 0; round < 4000; round++)
        {
            var (json, withinLimits) = RandomEvent(random, round);
            var body = $"{{\"batch\":[{json}]}}";
            SegmentReadResult result;
            try
            {
                result = Read(body);
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed}, round {round}: the reader threw {ex.GetType().Name} on {body}");
                return;
            }
            Assert.True(withinLimits == result.IsValid, $"seed {seed}, round {round}: expected {(withinLimits ? "accepted" : "refused")}: {body} → {string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(",", e.Value)}"))}");
            if (result.IsValid)
            {
                accepted++;
                var facts = EventFacts.Parse(Assert.Single(result.Events).Json);
                if (facts.Amount is { } amount)
                {
                    Assert.InRange(amount, 0m, IngestLimits.MaxAmount);
                }
                if (facts.Accuracy is { } accuracy)
                {
                    Assert.InRange(accuracy, 0m, 1m);
                }
            }
            else
            {
                refused++;
                Assert.Empty(result.Events);
            }
        }
        // Both sides are exercised.
        Assert.InRange(accepted, 300, 3700);
        Assert.InRange(refused, 300, 3700);
    }

    private static (string Json, bool WithinLimits) RandomEvent(Random random, int round)
    {
        var ok = true;
        var fields = new List<string> { "\"type\":\"track\"" };

        string Text(int maxLength, int limitBytes, string suffix = "")
        {
            var length = random.Next(4) == 0 ? random.Next(1, maxLength) : random.Next(1, 20);
            var builder = new StringBuilder();
            for (var i = 0; i < length; i++)
            {
                builder.Append(random.Next(5) switch
                {
                    0 => 'é',
                    1 => '€',
                    2 => "😀",
                    _ => (char)random.Next('a', 'z' + 1),
                });
            }
            var text = builder.Append(suffix).ToString();
            if (Encoding.UTF8.GetByteCount(text) > limitBytes)
            {
                ok = false;
            }
            return JsonSerializer.Serialize(text);
        }

        fields.Add($"\"messageId\":{Text(300, IngestLimits.MaxIdBytes, $"-{round}")}");
        fields.Add($"\"userId\":{Text(300, IngestLimits.MaxIdBytes)}");
        fields.Add($"\"event\":{Text(260, IngestLimits.MaxNameBytes)}");

        var properties = new List<string>();
        if (random.Next(2) == 0)
        {
            properties.Add($"\"model_version\":{Text(260, IngestLimits.MaxDimensionBytes)}");
        }
        foreach (var (name, min, max) in new[] { ("amount", 0.0, 1e9), ("accuracy", 0.0, 1.0), ("processing_time_ms", 0.0, 1e12) })
        {
            if (random.Next(3) == 0)
            {
                continue;
            }
            switch (random.Next(6))
            {
                case 0: // a wrong type
                    properties.Add($"\"{name}\":{(random.Next(2) == 0 ? "\"fast\"" : "{\"x\":[1,{\"y\":true}]}")}");
                    ok = false;
                    break;
                case 1: // a huge magnitude, either sign
                    var exponent = random.Next(10, 400);
                    properties.Add($"\"{name}\":{(random.Next(2) == 0 ? "-" : "")}1e{exponent}");
                    ok = false;
                    break;
                default: // a value around the range, as a number or a numeric string
                    var value = Math.Round(min - (max - min) * 0.2 + random.NextDouble() * (max - min) * 1.4, 4);
                    if (value < min || value > max)
                    {
                        ok = false;
                    }
                    var text = value.ToString("R", CultureInfo.InvariantCulture);
                    properties.Add($"\"{name}\":{(random.Next(4) == 0 ? $"\"{text}\"" : text)}");
                    break;
            }
        }
        fields.Add($"\"properties\":{{{string.Join(",", properties)}}}");
        return ($"{{{string.Join(",", fields)}}}", ok);
    }
}
