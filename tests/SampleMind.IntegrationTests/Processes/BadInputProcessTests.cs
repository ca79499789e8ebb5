using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>One real silo and one real client-api on a throwaway database, shared by the bad-input tests.</summary>
public sealed class BadInputStack : IAsyncLifetime
{
    private ProcessCluster? _cluster;

    public ProcessCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _cluster = await ProcessCluster.CreateAsync(ct);
        var silo = _cluster.StartSilo("silo", SiloPorts.Free());
        var client = _cluster.StartClientApi(settings: new Dictionary<string, string?> { ["Stripe__WebhookSecret"] = "whsec_bad_input_stack" });
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        // The ingest tests choose their own write key (or none); /api/* requests get a bearer key.
        Http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30), writeKeyOnIngest: false);
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// Issue 3, "Must show": bad input against the real stack. Each is answered with a 4xx ProblemDetails
/// (<c>application/problem+json</c>) that names the problem, and nothing is stored: <c>user_events</c> stays empty
/// and <c>GET /api/users/{id}</c> is 404 for every user named in the body.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class BadInputProcessTests(BadInputStack stack) : IClassFixture<BadInputStack>
{
    private const string InvalidPayload = "Invalid Segment payload";

    private static string Track(string messageId, string userId, string extra = "") =>
        $$"""{"type":"track","messageId":"{{messageId}}","userId":"{{userId}}","event":"login","timestamp":"2026-01-02T03:04:05Z"{{extra}}}""";

    private static string Batch(params string[] events) => $$"""{"batch":[{{string.Join(',', events)}}]}""";

    /// <summary>A bad body, what the answer must say, and the users it names (none of whom may exist afterwards).</summary>
    private sealed record class Case(
        byte[] Body,
        HttpStatusCode Status,
        string Title,
        string Detail,
        string? Problem,
        Dictionary<string, string[]>? Errors,
        int[]? InvalidIndexes,
        string[] Users);

    private static Case BuildCase(string name)
    {
        static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
        static Case Body400(string body, string problem, string detail, string message, params string[] users) =>
            new(Utf8(body), HttpStatusCode.BadRequest, InvalidPayload, detail, problem, new() { ["body"] = [message] }, [], users);
        static Case Events400(string body, Dictionary<string, string[]> errors, int[] indexes, params string[] users) =>
            new(Utf8(body), HttpStatusCode.BadRequest, InvalidPayload,
                $"Invalid events at index {string.Join(", ", indexes)}; nothing was stored.", "InvalidEvents", errors, indexes, users);

        switch (name)
        {
            case "not JSON":
                // A batch cut off before its closing "]}": the error is at the byte after the last one.
                var truncated = """{"batch":[{"type":"track","messageId":"m1","userId":"bad-notjson-u1","event":"login"}""";
                return Body400(truncated, "NotJson",
                    "The body is not valid JSON.", $"is not valid JSON (line 1, byte {truncated.Length + 1})", "bad-notjson-u1");
            case "JSON that is not a batch":
                return Body400(Track("m1", "bad-notbatch-u1"), "NotABatch",
                    "The body is not a Segment batch or event object.", "must be a JSON object with a \"batch\" array", "bad-notbatch-u1");
            case "missing messageId":
                return Events400(Batch("""{"type":"track","userId":"bad-nomessageid-u1","event":"login"}"""),
                    new() { ["batch[0].messageId"] = ["is required"] }, [0], "bad-nomessageid-u1");
            case "missing userId and anonymousId":
                return Events400(Batch("""{"type":"track","messageId":"m1","event":"login"}""", Track("m2", "bad-nouser-u2")),
                    new() { ["batch[0].userId"] = ["userId or anonymousId is required"] }, [0], "bad-nouser-u2");
            case "unparsable timestamp":
                return Events400(Batch("""{"type":"track","messageId":"m1","userId":"bad-ts-u1","event":"login","timestamp":"yesterday at noon"}"""),
                    new() { ["batch[0].timestamp"] = ["'yesterday at noon' is not an ISO-8601 timestamp"] }, [0], "bad-ts-u1");
            case "timestamp more than 24 h in the future":
                var future = DateTimeOffset.UtcNow.AddHours(25).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                return Events400(Batch($$"""{"type":"track","messageId":"m1","userId":"bad-future-u1","event":"login","timestamp":"{{future}}"}"""),
                    new() { ["batch[0].timestamp"] = ["is more than 24 hours in the future"] }, [0], "bad-future-u1");
            case "event over 32 KB":
                var big = Track("m1", "bad-big-u1", $$""","properties":{"blob":"{{new string('x', 33_000)}}"}""");
                return Events400(Batch(Track("m0", "bad-big-u0"), big),
                    new() { ["batch[1]"] = [$"is {Encoding.UTF8.GetByteCount(big)} bytes; the limit is 32768 bytes"] }, [1], "bad-big-u0", "bad-big-u1");
            case "batch over 500 KB":
                // Twenty valid events of 30 KB each: only the total is too large.
                var events = Enumerable.Range(0, 20).Select(i => Track($"m{i}", $"bad-huge-u{i:D2}", $$""","properties":{"blob":"{{new string('y', 30_000)}}"}""")).ToArray();
                return new Case(Utf8(Batch(events)), HttpStatusCode.RequestEntityTooLarge, "Body too large",
                    "The body is larger than 512000 bytes, Segment's limit for one request.", null, null, null,
                    [.. Enumerable.Range(0, 20).Select(i => $"bad-huge-u{i:D2}")]);
            case "nesting beyond the depth limit":
                var deep = string.Concat(Enumerable.Repeat("""{"a":""", 40)) + "1" + new string('}', 40);
                return Body400(Batch(Track("m1", "bad-deep-u1", $$""","properties":{{deep}}""")), "TooDeep",
                    "The body nests deeper than 32 levels.", "nests deeper than 32 levels", "bad-deep-u1");
            case "invalid UTF-8":
                var bytes = Utf8(Batch(Track("m1", "bad-utf8-u1")));
                var at = Array.IndexOf(bytes, (byte)'l'); // the "l" of "login"
                bytes[at] = 0xFF;
                return new Case(bytes, HttpStatusCode.BadRequest, InvalidPayload, "The body is not valid UTF-8.", "InvalidUtf8",
                    new() { ["body"] = ["is not valid UTF-8"] }, [], ["bad-utf8-u1"]);
            case "one invalid event among valid ones":
                return Events400(
                    Batch(Track("m0", "bad-mixed-u0"), Track("m1", "bad-mixed-u1"), Track("m2", "bad-mixed-u2"),
                        """{"type":"track","messageId":"m3","userId":"bad-mixed-u3"}""", Track("m4", "bad-mixed-u4")),
                    new() { ["batch[3].event"] = ["is required for track"] }, [3],
                    "bad-mixed-u0", "bad-mixed-u1", "bad-mixed-u2", "bad-mixed-u3", "bad-mixed-u4");
            // Issue 14: the limits of what one event may carry (IngestLimits).
            case "userId over 255 bytes":
                var longId = new string('u', 3000);
                return Events400(Batch(Track("m0", "bad-long-u0"), Track("m1", longId)),
                    new() { ["batch[1].userId"] = ["is 3000 bytes; the limit is 255"] }, [1], "bad-long-u0");
            case "messageId over 255 bytes":
                return Events400(Batch(Track(new string('m', 256), "bad-longmsg-u1")),
                    new() { ["batch[0].messageId"] = ["is 256 bytes; the limit is 255"] }, [0], "bad-longmsg-u1");
            case "amount 1e300":
                return Events400(Batch(Track("m1", "bad-amount-u1", ""","properties":{"amount":1e300}""")),
                    new() { ["batch[0].properties.amount"] = ["must be a finite number from 0 to 1000000000"] }, [0], "bad-amount-u1");
            case "negative amount":
                return Events400(Batch(Track("m1", "bad-negative-u1", ""","properties":{"amount":-5000}""")),
                    new() { ["batch[0].properties.amount"] = ["must be a finite number from 0 to 1000000000"] }, [0], "bad-negative-u1");
            case "processing_time_ms not a number":
                return Events400(Batch(Track("m1", "bad-fast-u1", ""","properties":{"processing_time_ms":"fast"}""")),
                    new() { ["batch[0].properties.processing_time_ms"] = ["must be a number"] }, [0], "bad-fast-u1");
            case "accuracy above 1":
                return Events400(Batch(Track("m1", "bad-accuracy-u1", ""","properties":{"accuracy":7.5}""")),
                    new() { ["batch[0].properties.accuracy"] = ["must be a finite number from 0 to 1"] }, [0], "bad-accuracy-u1");
            case "model_version over 200 bytes":
                return Events400(Batch(Track("m1", "bad-model-u1", $$""","properties":{"model":"m","model_version":"{{new string('v', 3000)}}"}""")),
                    new() { ["batch[0].properties.model_version"] = ["is 3000 bytes; the limit is 200"] }, [0], "bad-model-u1");
            case "campaign name over 200 bytes":
                return Events400(Batch(Track("m1", "bad-campaign-u1", $$$""","context":{"campaign":{"name":"{{{new string('c', 3000)}}}"}}""")),
                    new() { ["batch[0].context.campaign.name"] = ["is 3000 bytes; the limit is 200"] }, [0], "bad-campaign-u1");
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }
    }

    [Theory]
    [InlineData("not JSON")]
    [InlineData("JSON that is not a batch")]
    [InlineData("missing messageId")]
    [InlineData("missing userId and anonymousId")]
    [InlineData("unparsable timestamp")]
    [InlineData("timestamp more than 24 h in the future")]
    [InlineData("event over 32 KB")]
    [InlineData("batch over 500 KB")]
    [InlineData("nesting beyond the depth limit")]
    [InlineData("invalid UTF-8")]
    [InlineData("one invalid event among valid ones")]
    [InlineData("userId over 255 bytes")]
    [InlineData("messageId over 255 bytes")]
    [InlineData("amount 1e300")]
    [InlineData("negative amount")]
    [InlineData("processing_time_ms not a number")]
    [InlineData("accuracy above 1")]
    [InlineData("model_version over 200 bytes")]
    [InlineData("campaign name over 200 bytes")]
    public async Task BadBatch_IsA4xxProblem_NamingTheProblem_AndNothingIsStored(string name)
    {
        var expected = BuildCase(name);

        using var response = await PostAsync(expected.Body, Basic("dev-write-key"));

        var problem = await ProblemAsync(response, expected.Status);
        Assert.Equal(expected.Title, problem.GetProperty("title").GetString());
        Assert.Equal(expected.Detail, problem.GetProperty("detail").GetString());
        if (expected.Problem is null)
        {
            Assert.False(problem.TryGetProperty("problem", out _));
            Assert.False(problem.TryGetProperty("errors", out _));
        }
        else
        {
            Assert.Equal(expected.Problem, problem.GetProperty("problem").GetString());
            Assert.Equal(expected.InvalidIndexes!, problem.GetProperty("invalidIndexes").EnumerateArray().Select(e => e.GetInt32()));
            var errors = problem.GetProperty("errors").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(e => e.GetString()!).ToArray());
            Assert.Equal(expected.Errors!.OrderBy(e => e.Key), errors.OrderBy(e => e.Key));
        }

        await AssertNothingStoredAsync(expected.Users);
    }

    [Theory]
    [InlineData("unknown write key")]
    [InlineData("no auth")]
    public async Task ValidBatch_WithUnknownOrNoWriteKey_Is401Problem_AndNothingIsStored(string name)
    {
        var user = name == "no auth" ? "bad-noauth-u1" : "bad-key-u1";
        var auth = name == "no auth" ? null : Basic("not-a-write-key");

        using var response = await PostAsync(Encoding.UTF8.GetBytes(Batch(Track("m1", user))), auth);

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Unknown or missing write key", problem.GetProperty("title").GetString());
        Assert.Equal("Authenticate with HTTP Basic (the write key as the user name, an empty password), or send the write key as "
            + "\"writeKey\" in the JSON body (analytics.js), or as ?writeKey= on /beacon/v1/batch (sendBeacon).", problem.GetProperty("detail").GetString());
        Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        await AssertNothingStoredAsync([user]);
    }

    private static AuthenticationHeaderValue Basic(string key) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key}:")));

    private async Task<HttpResponseMessage> PostAsync(byte[] body, AuthenticationHeaderValue? auth)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = auth;
        return await stack.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var json = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {json}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(json).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>The event log is empty (no test of this class stores anything) and no named user exists.</summary>
    private async Task AssertNothingStoredAsync(IEnumerable<string> users)
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(0L, await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM user_events"));
        foreach (var user in users)
        {
            using var response = await stack.Http.GetAsync($"/api/users/{user}", ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET /api/users/{user}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }
}
