using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Ingest;

namespace SampleMind.UnitTests.Ingest;

public sealed class SegmentBatchReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 20, 14, 0, TimeSpan.Zero);

    private static SegmentReadResult Read(string body, SegmentEndpoint endpoint = SegmentEndpoint.Batch, DateTimeOffset? now = null) =>
        SegmentBatchReader.Read(Encoding.UTF8.GetBytes(body), endpoint, now ?? Now);

    private static string Track(string messageId = "m1", string userId = "u1", string extra = "") =>
        $$"""{"type":"track","messageId":"{{messageId}}","userId":"{{userId}}","event":"login"{{extra}}}""";

    private static string Batch(params string[] items) => $$"""{"batch":[{{string.Join(",", items)}}]}""";

    private static void AssertOnlyError(SegmentReadResult result, SegmentBodyProblem problem, string key, string message)
    {
        Assert.False(result.IsValid);
        Assert.Equal(problem, result.Problem);
        Assert.Empty(result.Events);
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Equal([message], error.Value);
    }

    private static JsonElement Parsed(SegmentEvent e) => JsonDocument.Parse(e.Json).RootElement;

    // ---- whole-body problems -------------------------------------------------------------------------------

    [Fact]
    public void Body_IsRefused_WhenItIsNotValidUtf8()
    {
        var body = Encoding.UTF8.GetBytes(Batch(Track())).ToList();
        body.InsertRange(20, new byte[] { 0xC3, 0x28 });

        var result = SegmentBatchReader.Read(body.ToArray(), SegmentEndpoint.Batch, Now);

        AssertOnlyError(result, SegmentBodyProblem.InvalidUtf8, "body", "is not valid UTF-8");
    }

    [Theory]
    [InlineData("not json at all", "is not valid JSON (line 1, byte 2)")]
    [InlineData("{\"batch\":[", "is not valid JSON (line 1, byte 11)")]
    [InlineData("{\"batch\":[]} trailing", "is not valid JSON (line 1, byte 14)")]
    [InlineData("", "is not valid JSON (line 1, byte 1)")]
    [InlineData("   ", "is not valid JSON (line 1, byte 4)")]
    public void Body_IsRefused_WhenItIsNotJson(string body, string message)
    {
        AssertOnlyError(Read(body), SegmentBodyProblem.NotJson, "body", message);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"batch\"")]
    [InlineData("42")]
    [InlineData("{}")]
    [InlineData("{\"batch\":{}}")]
    [InlineData("{\"batch\":null}")]
    [InlineData("{\"events\":[]}")]
    public void BatchBody_IsRefused_WhenItIsNotAnObjectWithABatchArray(string body)
    {
        AssertOnlyError(Read(body), SegmentBodyProblem.NotABatch, "body", "must be a JSON object with a \"batch\" array");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"track\"")]
    [InlineData("null")]
    public void SingleEventBody_IsRefused_WhenItIsNotAnObject(string body)
    {
        AssertOnlyError(Read(body, SegmentEndpoint.Track), SegmentBodyProblem.NotABatch, "body", "must be a JSON object (one Segment event)");
    }

    [Fact]
    public void Body_IsRefused_WhenItNestsDeeperThan32Levels()
    {
        // Root object (1) + properties (2) + 31 nested arrays = 33 levels.
        var deep = new string('[', 31) + new string(']', 31);
        var result = Read(Track(extra: $$""","properties":{"x":{{deep}}}"""), SegmentEndpoint.Track);

        AssertOnlyError(result, SegmentBodyProblem.TooDeep, "body", "nests deeper than 32 levels");
    }

    [Fact]
    public void Body_IsAccepted_WhenItNestsExactly32Levels()
    {
        var deep = new string('[', 30) + new string(']', 30);
        var result = Read(Track(extra: $$""","properties":{"x":{{deep}}}"""), SegmentEndpoint.Track);

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(",", e.Value)}")));
    }

    [Fact]
    public void Body_IsRefused_WhenItIsLargerThan500KB()
    {
        var body = Batch(Track()) + new string(' ', SegmentBatchReader.MaxBatchBytes);

        AssertOnlyError(Read(body), SegmentBodyProblem.TooLarge, "body",
            $"is {Encoding.UTF8.GetByteCount(body)} bytes; the limit is 512000 bytes");
    }

    [Fact]
    public void Body_IsAccepted_WhenItIsExactly500KB()
    {
        var body = Batch(Track());
        body += new string(' ', SegmentBatchReader.MaxBatchBytes - body.Length);

        var result = Read(body);

        Assert.True(result.IsValid);
        Assert.Single(result.Events);
    }

    [Fact]
    public void Body_IsAccepted_WithAUtf8ByteOrderMark()
    {
        var body = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Batch(Track()))).ToArray();

        Assert.True(SegmentBatchReader.Read(body, SegmentEndpoint.Batch, Now).IsValid);
    }

    [Fact]
    public void EmptyBatch_IsValid_AndHasNoEvents()
    {
        var result = Read("""{"batch":[]}""");

        Assert.True(result.IsValid);
        Assert.Empty(result.Events);
        Assert.Empty(result.GroupByUser());
    }

    // ---- per-event problems ----------------------------------------------------------------------------------

    [Fact]
    public void Event_IsRefused_WhenLargerThan32KB_AndTheErrorNamesItsIndex()
    {
        var padding = new string('x', SegmentBatchReader.MaxEventBytes);
        var big = Track("m2", extra: $$""","properties":{"pad":"{{padding}}"}""");

        var result = Read(Batch(Track(), big));

        AssertOnlyError(result, SegmentBodyProblem.InvalidEvents, "batch[1]",
            $"is {Encoding.UTF8.GetByteCount(big)} bytes; the limit is 32768 bytes");
        Assert.Equal([1], result.InvalidIndexes);
    }

    [Fact]
    public void Event_IsAccepted_WhenExactly32KB()
    {
        var shell = Track(extra: ""","properties":{"pad":""}""");
        var padding = new string('x', SegmentBatchReader.MaxEventBytes - shell.Length);
        var exact = Track(extra: $$""","properties":{"pad":"{{padding}}"}""");
        Assert.Equal(SegmentBatchReader.MaxEventBytes, Encoding.UTF8.GetByteCount(exact));

        Assert.True(Read(Batch(exact)).IsValid);
    }

    [Fact]
    public void SingleEvent_IsRefused_WhenLargerThan32KB_UnderTheBodyKey()
    {
        var big = Track(extra: $$""","properties":{"pad":"{{new string('x', SegmentBatchReader.MaxEventBytes)}}"}""");

        var result = Read(big, SegmentEndpoint.Track);

        AssertOnlyError(result, SegmentBodyProblem.InvalidEvents, "body", $"is {big.Length} bytes; the limit is 32768 bytes");
        Assert.Equal([0], result.InvalidIndexes);
    }

    [Fact]
    public void BatchItem_IsRefused_WhenItIsNotAnObject()
    {
        AssertOnlyError(Read(Batch(Track(), "\"track\"")), SegmentBodyProblem.InvalidEvents, "batch[1]", "must be a JSON object (one Segment event)");
    }

    [Theory]
    [InlineData("""{"type":"track","userId":"u1","event":"login"}""")]
    [InlineData("""{"type":"track","messageId":"","userId":"u1","event":"login"}""")]
    [InlineData("""{"type":"track","messageId":"   ","userId":"u1","event":"login"}""")]
    [InlineData("""{"type":"track","messageId":null,"userId":"u1","event":"login"}""")]
    public void Event_IsRefused_WhenMessageIdIsMissingOrEmpty(string item)
    {
        AssertOnlyError(Read(Batch(item)), SegmentBodyProblem.InvalidEvents, "batch[0].messageId", "is required");
    }

    [Fact]
    public void Event_IsRefused_WhenMessageIdIsNotAString()
    {
        var item = """{"type":"track","messageId":7,"userId":"u1","event":"login"}""";

        AssertOnlyError(Read(Batch(item)), SegmentBodyProblem.InvalidEvents, "batch[0].messageId", "must be a string");
    }

    [Theory]
    [InlineData("""{"type":"track","messageId":"m1","event":"login"}""")]
    [InlineData("""{"type":"track","messageId":"m1","userId":"","anonymousId":" ","event":"login"}""")]
    [InlineData("""{"type":"track","messageId":"m1","userId":null,"event":"login"}""")]
    public void Event_IsRefused_WhenItHasNeitherUserIdNorAnonymousId(string item)
    {
        AssertOnlyError(Read(Batch(item)), SegmentBodyProblem.InvalidEvents, "batch[0].userId", "userId or anonymousId is required");
    }

    [Fact]
    public void Event_IsRefused_WhenUserIdIsAnObject()
    {
        var item = """{"type":"track","messageId":"m1","userId":{"id":1},"anonymousId":"a1","event":"login"}""";

        AssertOnlyError(Read(Batch(item)), SegmentBodyProblem.InvalidEvents, "batch[0].userId", "must be a string");
    }

    [Theory]
    [InlineData("""{"type":"track","messageId":"m1","userId":"u1"}""")]
    [InlineData("""{"type":"track","messageId":"m1","userId":"u1","event":""}""")]
    public void Track_IsRefused_WithoutAnEventName(string item)
    {
        AssertOnlyError(Read(Batch(item)), SegmentBodyProblem.InvalidEvents, "batch[0].event", "is required for track");
    }

    [Fact]
    public void Group_IsRefused_WithoutAGroupId()
    {
        AssertOnlyError(Read("""{"messageId":"m1","userId":"u1"}""", SegmentEndpoint.Group),
            SegmentBodyProblem.InvalidEvents, "groupId", "is required for group");
    }

    [Fact]
    public void Alias_IsRefused_WithoutAPreviousId()
    {
        AssertOnlyError(Read("""{"messageId":"m1","userId":"u1"}""", SegmentEndpoint.Alias),
            SegmentBodyProblem.InvalidEvents, "previousId", "is required for alias");
    }

    [Theory]
    [InlineData("yesterday", "'yesterday' is not an ISO-8601 timestamp")]
    [InlineData("2026-13-01T00:00:00Z", "'2026-13-01T00:00:00Z' is not an ISO-8601 timestamp")]
    [InlineData("11/24/2026 10:00", "'11/24/2026 10:00' is not an ISO-8601 timestamp")]
    [InlineData("", "'' is not an ISO-8601 timestamp")]
    public void Event_IsRefused_WhenTheTimestampDoesNotParse(string timestamp, string message)
    {
        var result = Read(Batch(Track(extra: $$""","timestamp":"{{timestamp}}" """)));

        AssertOnlyError(result, SegmentBodyProblem.InvalidEvents, "batch[0].timestamp", message);
    }

    [Fact]
    public void Event_IsRefused_WhenTheTimestampIsANumber()
    {
        AssertOnlyError(Read(Batch(Track(extra: ""","timestamp":1764000000000"""))),
            SegmentBodyProblem.InvalidEvents, "batch[0].timestamp", "number is not an ISO-8601 timestamp");
    }

    [Fact]
    public void Event_IsRefused_WhenTheTimestampIsMoreThan24HoursInTheFuture()
    {
        var future = Now.AddHours(24).AddSeconds(1).ToString("O");

        AssertOnlyError(Read(Batch(Track(extra: $$""","timestamp":"{{future}}" """))),
            SegmentBodyProblem.InvalidEvents, "batch[0].timestamp", "is more than 24 hours in the future");
    }

    [Fact]
    public void Event_IsAccepted_WhenTheTimestampIsExactly24HoursInTheFuture()
    {
        var result = Read(Batch(Track(extra: $$""","timestamp":"{{Now.AddHours(24):O}}" """)));

        Assert.Equal(Now.AddHours(24), Assert.Single(result.Events).Timestamp);
    }

    [Fact]
    public void Event_IsRefused_WhenTheOriginalTimestampIsMoreThan24HoursInTheFuture()
    {
        var future = Now.AddDays(2).ToString("O");

        AssertOnlyError(Read(Batch(Track(extra: $$""","originalTimestamp":"{{future}}" """))),
            SegmentBodyProblem.InvalidEvents, "batch[0].originalTimestamp", "is more than 24 hours in the future");
    }

    [Theory]
    [InlineData("""{"messageId":"m1","userId":"u1","event":"login"}""", "is required")]
    [InlineData("""{"type":"","messageId":"m1","userId":"u1","event":"login"}""", "is required")]
    [InlineData("""{"type":"purchase","messageId":"m1","userId":"u1","event":"login"}""", "'purchase' is not one of track, identify, page, screen, group, alias")]
    [InlineData("""{"type":"Track","messageId":"m1","userId":"u1","event":"login"}""", "'Track' is not one of track, identify, page, screen, group, alias")]
    [InlineData("""{"type":1,"messageId":"m1","userId":"u1","event":"login"}""", "must be a string")]
    public void BatchItem_IsRefused_WhenItsTypeIsMissingOrUnknown(string item, string message)
    {
        AssertOnlyError(Read(Batch(item)), SegmentBodyProblem.InvalidEvents, "batch[0].type", message);
    }

    [Theory]
    [InlineData("properties")]
    [InlineData("traits")]
    [InlineData("context")]
    public void Event_IsRefused_WhenAnObjectFieldIsNotAnObject(string field)
    {
        AssertOnlyError(Read(Batch(Track(extra: $$""","{{field}}":[1]"""))),
            SegmentBodyProblem.InvalidEvents, $"batch[0].{field}", "must be an object");
    }

    [Fact]
    public void Batch_IsRefusedWhole_AndNamesEveryBadIndexAndWhy()
    {
        var result = Read(Batch(
            Track("m0"),
            """{"type":"track","userId":"u1","event":"login"}""",
            Track("m2"),
            """{"type":"track","messageId":"m3","event":"x","timestamp":"nope"}""",
            """{"type":"wat","messageId":"m4","userId":"u1"}"""));

        Assert.False(result.IsValid);
        Assert.Equal(SegmentBodyProblem.InvalidEvents, result.Problem);
        Assert.Empty(result.Events);
        Assert.Equal([1, 3, 4], result.InvalidIndexes);
        Assert.Equal(
            new Dictionary<string, string[]>
            {
                ["batch[1].messageId"] = ["is required"],
                ["batch[3].userId"] = ["userId or anonymousId is required"],
                ["batch[3].timestamp"] = ["'nope' is not an ISO-8601 timestamp"],
                ["batch[4].type"] = ["'wat' is not one of track, identify, page, screen, group, alias"],
            },
            result.Errors);
    }

    [Fact]
    public void Batch_IsRefused_WhenTheBatchContextIsNotAnObject()
    {
        AssertOnlyError(Read("""{"batch":[],"context":"web"}"""), SegmentBodyProblem.InvalidEvents, "context", "must be an object");
    }

    [Fact]
    public void Batch_IsRefused_WhenTheBatchSentAtDoesNotParse()
    {
        var result = Read($$"""{"batch":[{{Track()}}],"sentAt":"later"}""");

        AssertOnlyError(result, SegmentBodyProblem.InvalidEvents, "sentAt", "'later' is not an ISO-8601 timestamp");
        Assert.Empty(result.InvalidIndexes);
    }

    // ---- good input -----------------------------------------------------------------------------------------

    [Fact]
    public void GoodBatch_YieldsEveryEventInOrder_WithUserKeyTypeNameAndMessageId()
    {
        var result = Read(Batch(
            Track("m0", "u1"),
            """{"type":"identify","messageId":"m1","userId":"u2","traits":{"plan":"pro"}}""",
            """{"type":"page","messageId":"m2","anonymousId":"a1","name":"Pricing"}""",
            """{"type":"screen","messageId":"m3","userId":"u1","anonymousId":"a9","name":"Home"}""",
            """{"type":"group","messageId":"m4","userId":"u2","groupId":"g1"}""",
            """{"type":"alias","messageId":"m5","userId":"u3","previousId":"a1"}"""));

        Assert.True(result.IsValid);
        Assert.Equal(SegmentBodyProblem.None, result.Problem);
        Assert.Empty(result.Errors);
        Assert.Equal(
            [
                (0, "u1", "track", "login", "m0"),
                (1, "u2", "identify", null, "m1"),
                (2, "a1", "page", "Pricing", "m2"),
                (3, "u1", "screen", "Home", "m3"),
                (4, "u2", "group", null, "m4"),
                (5, "u3", "alias", null, "m5"),
            ],
            result.Events.Select(e => (e.Index, e.UserKey, e.Type, e.Name, e.MessageId)).ToArray());
    }

    [Fact]
    public void GroupByUser_KeepsUsersInOrderOfFirstAppearance_AndEventsInBodyOrder()
    {
        var result = Read(Batch(Track("m0", "u2"), Track("m1", "u1"), Track("m2", "u2"),
            """{"type":"track","messageId":"m3","anonymousId":"a1","event":"x"}"""));

        var groups = result.GroupByUser();

        Assert.Equal(["u2", "u1", "a1"], groups.Select(g => g.UserKey));
        Assert.Equal(["m0", "m2"], groups[0].Events.Select(e => e.MessageId));
        Assert.Equal(["m1"], groups[1].Events.Select(e => e.MessageId));
        Assert.Equal(["m3"], groups[2].Events.Select(e => e.MessageId));
    }

    [Fact]
    public void UserKey_IsUserId_WhenBothIdsArePresent_ElseAnonymousId()
    {
        var result = Read(Batch(
            """{"type":"track","messageId":"m0","userId":"u1","anonymousId":"a1","event":"x"}""",
            """{"type":"track","messageId":"m1","userId":"","anonymousId":"a2","event":"x"}"""));

        Assert.Equal(["u1", "a2"], result.Events.Select(e => e.UserKey));
    }

    [Fact]
    public void NumericUserId_IsNormalisedToAString()
    {
        var e = Assert.Single(Read(Batch("""{"type":"track","messageId":"m0","userId":1234,"event":"x"}""")).Events);

        Assert.Equal("1234", e.UserKey);
        Assert.Equal("1234", Parsed(e).GetProperty("userId").GetString());
    }

    [Theory]
    [InlineData(SegmentEndpoint.Track, "track")]
    [InlineData(SegmentEndpoint.Identify, "identify")]
    [InlineData(SegmentEndpoint.Page, "page")]
    [InlineData(SegmentEndpoint.Screen, "screen")]
    [InlineData(SegmentEndpoint.Group, "group")]
    [InlineData(SegmentEndpoint.Alias, "alias")]
    public void SingleEndpoint_ImpliesTheType_EvenOverATypeInTheBody(SegmentEndpoint endpoint, string type)
    {
        var body = """{"type":"identify","messageId":"m1","userId":"u1","event":"login","groupId":"g1","previousId":"p1"}""";

        var e = Assert.Single(Read(body, endpoint).Events);

        Assert.Equal(type, e.Type);
        Assert.Equal(0, e.Index);
        Assert.Equal(type, Parsed(e).GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("batch", SegmentEndpoint.Batch)]
    [InlineData("track", SegmentEndpoint.Track)]
    [InlineData("identify", SegmentEndpoint.Identify)]
    [InlineData("page", SegmentEndpoint.Page)]
    [InlineData("screen", SegmentEndpoint.Screen)]
    [InlineData("group", SegmentEndpoint.Group)]
    [InlineData("alias", SegmentEndpoint.Alias)]
    public void TryParseEndpoint_KnowsTheSevenPaths(string path, SegmentEndpoint expected)
    {
        Assert.True(SegmentBatchReader.TryParseEndpoint(path, out var endpoint));
        Assert.Equal(expected, endpoint);
    }

    [Fact]
    public void TryParseEndpoint_RejectsOtherPaths()
    {
        Assert.False(SegmentBatchReader.TryParseEndpoint("import", out _));
    }

    [Fact]
    public void MissingTimestamp_DefaultsToReceivedAt()
    {
        var e = Assert.Single(Read(Batch(Track())).Events);

        Assert.Equal(Now, e.Timestamp);
        Assert.Equal("2026-11-24T20:14:00.0000000Z", Parsed(e).GetProperty("timestamp").GetString());
        Assert.Equal("2026-11-24T20:14:00.0000000Z", Parsed(e).GetProperty("receivedAt").GetString());
        Assert.False(Parsed(e).TryGetProperty("originalTimestamp", out _));
    }

    [Fact]
    public void MissingTimestamp_IsNotCorrectedBySentAt()
    {
        var e = Assert.Single(Read($$"""{"batch":[{{Track()}}],"sentAt":"2026-11-24T10:00:00Z"}""").Events);

        Assert.Equal(Now, e.Timestamp);
    }

    [Theory]
    [InlineData("2026-11-20T08:30:00Z", "2026-11-20T08:30:00.0000000Z")]
    [InlineData("2026-11-20T08:30:00.123Z", "2026-11-20T08:30:00.1230000Z")]
    [InlineData("2026-11-20T10:30:00+02:00", "2026-11-20T08:30:00.0000000Z")]
    [InlineData("2026-11-20T08:30:00", "2026-11-20T08:30:00.0000000Z")]
    [InlineData("2026-11-20T08:30Z", "2026-11-20T08:30:00.0000000Z")]
    [InlineData("2026-11-20", "2026-11-20T00:00:00.0000000Z")]
    public void Timestamp_WithoutSentAt_IsTakenAsSent_InUtc(string sent, string resolved)
    {
        var e = Assert.Single(Read(Batch(Track(extra: $$""","timestamp":"{{sent}}" """))).Events);

        Assert.Equal(DateTimeOffset.Parse(resolved, System.Globalization.CultureInfo.InvariantCulture), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
        Assert.Equal(resolved, Parsed(e).GetProperty("timestamp").GetString());
        Assert.Equal(resolved, Parsed(e).GetProperty("originalTimestamp").GetString());
    }

    [Fact]
    public void Timestamp_IsCorrectedForClockSkew_ByReceivedAtMinusBatchSentAt()
    {
        // The client's clock is 10 minutes fast: it stamped the event at 20:05 (its clock), sent at 20:20 (its clock),
        // and we received at 20:14: timestamp = receivedAt − (sentAt − originalTimestamp) = 19:59.
        var body = $$"""{"batch":[{{Track(extra: ""","timestamp":"2026-11-24T20:05:00Z" """)}}],"sentAt":"2026-11-24T20:20:00Z"}""";

        var e = Assert.Single(Read(body).Events);

        Assert.Equal(new DateTimeOffset(2026, 11, 24, 19, 59, 0, TimeSpan.Zero), e.Timestamp);
        var json = Parsed(e);
        Assert.Equal("2026-11-24T19:59:00.0000000Z", json.GetProperty("timestamp").GetString());
        Assert.Equal("2026-11-24T20:05:00.0000000Z", json.GetProperty("originalTimestamp").GetString());
        Assert.Equal("2026-11-24T20:20:00.0000000Z", json.GetProperty("sentAt").GetString());
    }

    [Fact]
    public void EventSentAt_WinsOverBatchSentAt()
    {
        var item = Track(extra: ""","timestamp":"2026-11-24T20:00:00Z","sentAt":"2026-11-24T20:10:00Z" """);
        var body = $$"""{"batch":[{{item}}],"sentAt":"2026-11-24T23:00:00Z"}""";

        var e = Assert.Single(Read(body).Events);

        Assert.Equal(new DateTimeOffset(2026, 11, 24, 20, 4, 0, TimeSpan.Zero), e.Timestamp);
    }

    [Fact]
    public void SkewCorrection_RescuesAClientWhoseClockIsDaysAhead()
    {
        // Clock 3 days fast: raw timestamp is beyond the 24 h limit but the corrected one is 1 minute ago.
        var item = Track(extra: ""","timestamp":"2026-11-27T20:13:00Z" """);
        var body = $$"""{"batch":[{{item}}],"sentAt":"2026-11-27T20:14:00Z"}""";

        var e = Assert.Single(Read(body).Events);

        Assert.Equal(Now.AddMinutes(-1), e.Timestamp);
    }

    [Fact]
    public void OriginalTimestamp_IsUsed_WhenThereIsNoTimestamp_AsRudderStackSends()
    {
        var item = Track(extra: ""","originalTimestamp":"2026-11-24T20:13:50Z","sentAt":"2026-11-24T20:13:55Z" """);

        var e = Assert.Single(Read(Batch(item)).Events);

        Assert.Equal(Now.AddSeconds(-5), e.Timestamp);
    }

    [Fact]
    public void Event_IsRefused_WhenItsSentAtDoesNotParse()
    {
        AssertOnlyError(Read(Batch(Track(extra: ""","timestamp":"2026-11-24T20:00:00Z","sentAt":"soon" """))),
            SegmentBodyProblem.InvalidEvents, "batch[0].sentAt", "'soon' is not an ISO-8601 timestamp");
    }

    [Fact]
    public void BatchContext_MergesIntoEachEvent_AndTheEventsOwnContextWins()
    {
        const string BatchContext = """{"ip":"192.168.1.1","library":{"name":"analytics-node","version":"1.0"},"app":{"name":"SampleMind"}}""";
        var own = Track("m0", extra: ""","context":{"ip":"10.0.0.1","library":{"version":"2.0"},"locale":"de-DE"}""");
        var body = $$"""{"batch":[{{own}},{{Track("m1")}}],"context":{{BatchContext}}}""";

        var result = Read(body);

        Assert.True(result.IsValid);
        var first = Parsed(result.Events[0]).GetProperty("context");
        Assert.Equal("10.0.0.1", first.GetProperty("ip").GetString());
        Assert.Equal("analytics-node", first.GetProperty("library").GetProperty("name").GetString());
        Assert.Equal("2.0", first.GetProperty("library").GetProperty("version").GetString());
        Assert.Equal("SampleMind", first.GetProperty("app").GetProperty("name").GetString());
        Assert.Equal("de-DE", first.GetProperty("locale").GetString());
        Assert.Equal(BatchContext, Parsed(result.Events[1]).GetProperty("context").GetRawText());
    }

    [Fact]
    public void NormalisedJson_IsCompact_AndCarriesEverythingTheGrainReParses()
    {
        var body = """
            {"batch":[{"type":"track","event":"analysis_completed","userId":"u1","messageId":"m1",
              "properties":{"model":"genre_classification","accuracy":0.93,"note":"überall"},
              "integrations":{"All":true},"timestamp":"2026-11-24T20:00:00Z"}],
             "writeKey":"secret"}
            """;

        var e = Assert.Single(Read(body).Events);

        Assert.Equal(
            """{"type":"track","messageId":"m1","userId":"u1","event":"analysis_completed","integrations":{"All":true},"properties":{"model":"genre_classification","accuracy":0.93,"note":"überall"},"traits":{},"context":{},"originalTimestamp":"2026-11-24T20:00:00.0000000Z","timestamp":"2026-11-24T20:00:00.0000000Z","receivedAt":"2026-11-24T20:14:00.0000000Z"}""",
            e.Json);
    }

    [Fact]
    public void NormalisedJson_NeverCarriesAWriteKey()
    {
        var e = Assert.Single(Read(Track(extra: ""","writeKey":"secret" """), SegmentEndpoint.Track).Events);

        Assert.DoesNotContain("secret", e.Json, StringComparison.Ordinal);
    }

    [Fact]
    public void RepeatedJsonNames_LastOneWins_AsInJavaScript()
    {
        var e = Assert.Single(Read("""{"messageId":"m1","userId":"u1","event":"a","event":"b","channel":"x","channel":"y"}""", SegmentEndpoint.Track).Events);

        Assert.Equal("b", e.Name);
        Assert.Equal("y", Parsed(e).GetProperty("channel").GetString());
        Assert.Single(Parsed(e).EnumerateObject(), p => p.Name == "channel");
    }

    [Fact]
    public void NormalisedJson_ReadsBackToTheSameEvent()
    {
        var e = Assert.Single(Read(Batch(Track(extra: ""","timestamp":"2026-11-24T19:00:00.1234567+01:00" """))).Events);

        var again = Assert.Single(Read(e.Json, SegmentEndpoint.Track, Now.AddHours(1)).Events);

        Assert.Equal(e.Timestamp, again.Timestamp);
        Assert.Equal(e.MessageId, again.MessageId);
        Assert.Equal(e.UserKey, again.UserKey);
    }

    // ---- bodies captured from the real npm libraries --------------------------------------------------------

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Ingest", "Fixtures", name));

    [Fact]
    public void SegmentAnalyticsNode_Batch_IsAccepted_AndCorrectedByItsSentAt()
    {
        // analytics-node 3.1.0 POSTs /v1/batch, JSON, with "timestamp" per event and "sentAt" on the batch (20:13:58.144Z).
        var receivedAt = new DateTimeOffset(2026, 11, 24, 20, 13, 59, 144, TimeSpan.Zero);

        var result = SegmentBatchReader.Read(Fixture("segment-analytics-node-3.1.0-batch.json"), SegmentEndpoint.Batch, receivedAt);

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(",", e.Value)}")));
        Assert.Equal(
            [
                ("seg-user-1", "identify", null, "2026-11-24T20:13:59.1230000Z"),
                ("seg-user-1", "track", "analysis_completed", "2026-11-24T20:13:59.1240000Z"),
                ("seg-user-1", "page", "Pricing", "2026-11-24T20:13:59.1240000Z"),
                ("anon-1", "track", "signup_started", "2026-01-01T00:00:01.0000000Z"),
            ],
            result.Events.Select(e => (e.UserKey, e.Type, e.Name, SegmentBatchReader.Format(e.Timestamp))).ToArray());
        Assert.Equal("node-next-1795551238123-158bd462-e46e-4df9-a397-a0ec63dd709d", result.Events[0].MessageId);
        Assert.Equal("pro", Parsed(result.Events[0]).GetProperty("traits").GetProperty("plan").GetString());
        Assert.Equal(0.93, Parsed(result.Events[1]).GetProperty("properties").GetProperty("accuracy").GetDouble());
        Assert.Equal("@segment/analytics-node", Parsed(result.Events[1]).GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        Assert.Equal(["seg-user-1", "anon-1"], result.GroupByUser().Select(g => g.UserKey));
    }

    [Fact]
    public void RudderSdkNode_Batch_IsAccepted_AndCorrectedByEachEventsSentAt()
    {
        // rudder-sdk-node 3.0.13 POSTs /v1/batch gzipped, with "originalTimestamp" and "sentAt" per event
        // (20:13:58.170Z and 20:13:58.178Z), and "timestamp" only where the caller set one.
        var receivedAt = new DateTimeOffset(2026, 11, 24, 20, 13, 59, 178, TimeSpan.Zero);

        var result = SegmentBatchReader.Read(Fixture("rudder-sdk-node-3.0.13-batch.json"), SegmentEndpoint.Batch, receivedAt);

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(",", e.Value)}")));
        Assert.Equal(
            [
                ("rud-user-1", "track", "feature_used", "2026-11-24T20:13:59.1700000Z"),
                ("rud-user-1", "page", "Home", "2026-11-24T20:13:59.1700000Z"),
                ("anon-2", "track", "signup_started", "2026-01-01T00:00:01.0000000Z"),
            ],
            result.Events.Select(e => (e.UserKey, e.Type, e.Name, SegmentBatchReader.Format(e.Timestamp))).ToArray());
        Assert.Equal("stems", Parsed(result.Events[0]).GetProperty("properties").GetProperty("feature").GetString());
    }

    [Fact]
    public void RudderSdkNode_FirstFlush_OfASingleIdentify_IsAccepted()
    {
        var receivedAt = new DateTimeOffset(2026, 11, 24, 20, 13, 58, 168, TimeSpan.Zero);

        var result = SegmentBatchReader.Read(Fixture("rudder-sdk-node-3.0.13-identify-batch.json"), SegmentEndpoint.Batch, receivedAt);

        var e = Assert.Single(result.Events);
        Assert.Equal(("rud-user-1", "identify", "ca4c7cb2-fb8b-4b52-8176-2c8a13b13df4"), (e.UserKey, e.Type, e.MessageId));
        Assert.Equal("studio", Parsed(e).GetProperty("traits").GetProperty("plan").GetString());
        Assert.Equal(receivedAt, e.Timestamp);
    }
}
