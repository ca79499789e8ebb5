using System.Net;
using System.Text;
using System.Text.Json;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// One silo and three client-apis on a throwaway database: <see cref="Open"/> as shipped (any origin),
/// <see cref="Narrow"/> with <c>Ingest:AllowedOrigins</c> = [<see cref="AllowedOrigin"/>], and <see cref="Limited"/>
/// with a bucket of two requests per key (refilled once in 1,000 s, so never during a test).
/// </summary>
public sealed class BrowserIngestStack : IAsyncLifetime
{
    public const string AllowedOrigin = "https://app.example.test";

    private ProcessCluster? _cluster;

    public ProcessCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public HttpClient Open { get; private set; } = null!;

    public HttpClient Narrow { get; private set; } = null!;

    public HttpClient Limited { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _cluster = await ProcessCluster.CreateAsync(ct);
        var silo = _cluster.StartSilo("silo", SiloPorts.Free());
        var open = _cluster.StartClientApi("client-api-open");
        var narrow = _cluster.StartClientApi("client-api-narrow", new Dictionary<string, string?> { ["Ingest__AllowedOrigins__0"] = AllowedOrigin });
        var limited = _cluster.StartClientApi("client-api-limited", new Dictionary<string, string?>
        {
            ["Ingest__WriteKeys__1"] = "limited-a",
            ["Ingest__WriteKeys__2"] = "limited-b",
            ["Ingest__RateLimit__PermitsPerSecond"] = "0.001",
            ["Ingest__RateLimit__Burst"] = "2",
        });
        await Task.WhenAll(
            silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct),
            open.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct),
            narrow.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct),
            limited.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        // No write key added by the client: each test sends the key the way a browser SDK does (or not at all).
        Open = TestApiKeys.Client(open.BaseAddress, TimeSpan.FromSeconds(30), writeKeyOnIngest: false);
        Narrow = TestApiKeys.Client(narrow.BaseAddress, TimeSpan.FromSeconds(30), writeKeyOnIngest: false);
        Limited = TestApiKeys.Client(limited.BaseAddress, TimeSpan.FromSeconds(30), writeKeyOnIngest: false);
    }

    public Task<long> StoredAsync(string userId) =>
        Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM user_events WHERE user_id = @user", ("user", userId));

    public async ValueTask DisposeAsync()
    {
        Open?.Dispose();
        Narrow?.Dispose();
        Limited?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// Issue 13.1: the wire contract of analytics.js 2.0 and RudderStack's JS SDK v3 against the real stack — CORS on every
/// answer, the short paths, text/plain bodies, the body's and the beacon's write key — each case counted in
/// <c>user_events</c> (and the user grain) exactly.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class BrowserIngestProcessTests(BrowserIngestStack stack) : IClassFixture<BrowserIngestStack>
{
    private const string PageOrigin = "http://shop.example.test";

    private static string NewUser() => $"br-{Guid.NewGuid():N}"[..20];

    /// <summary>An event as analytics.js 2.0 sends it (plugins/segmentio/normalize.ts): writeKey, sentAt, _metadata in the event.</summary>
    private static string AjsEvent(string type, string userId, string messageId, string? writeKey = TestApiKeys.Write, string extra = "")
    {
        var key = writeKey is null ? "" : $"\"writeKey\":\"{writeKey}\",";
        return $$"""
            {"type":"{{type}}","event":"signup_started","name":"Pricing","properties":{"path":"/pricing"},"groupId":"acme",
             "previousId":"anon-{{userId}}",{{extra}}
             "context":{"page":{"path":"/pricing","url":"http://shop.example.test/pricing"},"userAgent":"Mozilla/5.0",
             "library":{"name":"analytics.js","version":"npm:next-1.84.3"},"locale":"en-US"},
             "messageId":"{{messageId}}","anonymousId":"anon-{{userId}}","userId":"{{userId}}","integrations":{},
             "timestamp":"2026-12-01T10:00:00.000Z",{{key}}"sentAt":"2026-12-01T10:00:00.100Z",
             "_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]} }
            """;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string body, string contentType = "text/plain",
        string? basicKey = null, string? origin = PageOrigin, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        if (basicKey is not null)
        {
            request.Headers.Authorization = TestApiKeys.Basic(basicKey);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<HttpResponseMessage> PreflightAsync(HttpClient http, string path, string origin, string requestHeaders)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", requestHeaders);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private async Task<long> EventsAppliedAsync(string userId)
    {
        using var view = JsonDocument.Parse(await stack.Open.GetStringAsync($"/api/users/{userId}", TestContext.Current.CancellationToken));
        return view.RootElement.GetProperty("eventsApplied").GetInt64();
    }

    [Theory]
    [InlineData("t", "track")]
    [InlineData("p", "page")]
    [InlineData("i", "identify")]
    [InlineData("g", "group")]
    [InlineData("a", "alias")]
    [InlineData("s", "screen")]
    public async Task ShortPath_WithTheKeyInATextPlainBody_StoresOneEventOfThePathsType(string path, string type)
    {
        var user = NewUser();
        // The body says "track": the path decides, as analytics.js's path is the first letter of the type.
        using var response = await PostAsync(stack.Open, $"/v1/{path}", AjsEvent("track", user, $"{user}-m1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal([type], await stack.Cluster.Database.RowsAsync("SELECT type FROM user_events WHERE user_id = @user", ("user", user)));
        Assert.Equal(1, await EventsAppliedAsync(user));
        // The key is authentication, not data: it is not stored with the event.
        Assert.Equal(0L, await stack.Cluster.Database.ScalarAsync<long>(
            "SELECT count(*) FROM user_events WHERE user_id = @user AND payload ? 'writeKey'", ("user", user)));
    }

    [Fact]
    public async Task BatchPaths_WithTheKeyInTheBody_StoreEveryEventOnce_AndARetryAddsNothing()
    {
        var user = NewUser();
        var events = string.Join(',', Enumerable.Range(1, 3).Select(i => AjsEvent("track", user, $"{user}-b{i}", writeKey: null)));
        // analytics.js's batching dispatcher: {writeKey, batch, sentAt} to /b (its own test of a key in the header is the browser test).
        var body = $$"""{"writeKey":"{{TestApiKeys.Write}}","batch":[{{events}}],"sentAt":"2026-12-01T10:00:01Z"}""";

        using var first = await PostAsync(stack.Open, "/v1/b", body);
        using var again = await PostAsync(stack.Open, "/v1/b", body);
        using var viaBatch = await PostAsync(stack.Open, "/v1/batch", body.Replace("-b3", "-b4", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaBatch.StatusCode);
        Assert.Equal(4, await stack.StoredAsync(user));
        Assert.Equal(4, await EventsAppliedAsync(user));
    }

    [Fact]
    public async Task Beacon_WithTheKeyInTheQuery_StoresTheBatch_AndAnUnknownQueryKeyIs401WithCors()
    {
        var user = NewUser();
        // RudderStack's BeaconQueue: a text/plain Blob {batch, sentAt}, events with originalTimestamp, the key in the URL.
        var body = $$"""
            {"batch":[
             {"type":"page","name":"Home","messageId":"{{user}}-r1","anonymousId":"anon-{{user}}","userId":"{{user}}","originalTimestamp":"2026-12-01T10:00:00.000Z","channel":"web","context":{"library":{"name":"RudderLabs JavaScript SDK","version":"3.34.1"} },"properties":{} },
             {"type":"track","event":"signup_started","messageId":"{{user}}-r2","anonymousId":"anon-{{user}}","userId":"{{user}}","originalTimestamp":"2026-12-01T10:00:01.000Z","channel":"web","properties":{} }],
             "sentAt":"2026-12-01T10:00:02.000Z"}
            """;

        using var stored = await PostAsync(stack.Open, $"/beacon/v1/batch?writeKey={TestApiKeys.Write}", body, "text/plain;charset=UTF-8");
        using var unknown = await PostAsync(stack.Open, "/beacon/v1/batch?writeKey=not-a-key", body.Replace("-r", "-x", StringComparison.Ordinal));
        using var none = await PostAsync(stack.Open, "/beacon/v1/batch", body.Replace("-r", "-y", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        await ProblemAsync(unknown, HttpStatusCode.Unauthorized);
        Assert.Equal("*", Header(unknown, "Access-Control-Allow-Origin"));
        await ProblemAsync(none, HttpStatusCode.Unauthorized);
        Assert.Equal(2, await stack.StoredAsync(user));
        Assert.Equal(2, await EventsAppliedAsync(user));
    }

    [Fact]
    public async Task UnknownOrMissingBodyKey_Is401ProblemDetails_WithCorsHeaders_AndNothingStored()
    {
        var user = NewUser();

        using var unknown = await PostAsync(stack.Open, "/v1/t", AjsEvent("track", user, $"{user}-m1", writeKey: "not-a-key"));
        using var missing = await PostAsync(stack.Open, "/v1/p", AjsEvent("page", user, $"{user}-m2", writeKey: null));
        // A wrong Authorization header is refused even when the body names a good key: the header is what was sent as the credential.
        using var wrongHeader = await PostAsync(stack.Open, "/v1/t", AjsEvent("track", user, $"{user}-m3"), basicKey: "not-a-key");

        foreach (var response in new[] { unknown, missing, wrongHeader })
        {
            var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Equal("Unknown or missing write key", problem.GetProperty("title").GetString());
            Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
            Assert.StartsWith("Basic", Header(response, "WWW-Authenticate"), StringComparison.Ordinal);
            Assert.Contains("WWW-Authenticate", Header(response, "Access-Control-Expose-Headers"), StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(0, await stack.StoredAsync(user));
    }

    [Fact]
    public async Task TextPlainBodyThatIsNotJson_Is400_AndAnAliasWithoutPreviousId_Is400_BothWithCors_NothingStored()
    {
        var user = NewUser();

        using var notJson = await PostAsync(stack.Open, "/v1/t", "writeKey=dev-write-key&event=signup_started");
        using var notJsonWithKey = await PostAsync(stack.Open, "/v1/b", "{\"writeKey\":\"dev-write-key\",\"batch\":[", basicKey: TestApiKeys.Write);
        var alias = AjsEvent("alias", user, $"{user}-a1").Replace($"\"previousId\":\"anon-{user}\",", "", StringComparison.Ordinal);
        using var aliasWithoutPreviousId = await PostAsync(stack.Open, "/v1/a", alias);

        var problem = await ProblemAsync(notJson, HttpStatusCode.BadRequest);
        Assert.Equal("NotJson", problem.GetProperty("problem").GetString());
        Assert.Equal("NotJson", (await ProblemAsync(notJsonWithKey, HttpStatusCode.BadRequest)).GetProperty("problem").GetString());
        problem = await ProblemAsync(aliasWithoutPreviousId, HttpStatusCode.BadRequest);
        Assert.Equal(["is required for alias"], problem.GetProperty("errors").GetProperty("previousId").EnumerateArray().Select(e => e.GetString()));
        foreach (var response in new[] { notJson, notJsonWithKey, aliasWithoutPreviousId })
        {
            Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        }
        Assert.Equal(0, await stack.StoredAsync(user));
    }

    [Theory]
    [InlineData("/v1/t")]
    [InlineData("/v1/b")]
    [InlineData("/v1/track")]
    [InlineData("/beacon/v1/batch")]
    public async Task Preflight_AllowsTheHeadersTheSdksSend_FromAnyOrigin_ByDefault(string path)
    {
        // analytics.js 2.0: content-type, authorization, x-retry-count; RudderStack v3: content-type, authorization,
        // anonymousid, sentat and its rsa-* retry headers (lower-case and sorted, as Chromium sends them).
        const string requested = "anonymousid,authorization,content-type,rsa-recovered,rsa-retry-attempt,rsa-retry-reason,"
            + "rsa-since-first-attempt,rsa-since-last-attempt,sentat,x-retry-count";

        using var response = await PreflightAsync(stack.Open, path, PageOrigin, requested);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("POST", Header(response, "Access-Control-Allow-Methods"));
        var allowed = Header(response, "Access-Control-Allow-Headers")!.Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal(requested.Split(','), allowed.Select(h => h.ToLowerInvariant()).Order(StringComparer.Ordinal));
        Assert.Equal("7200", Header(response, "Access-Control-Max-Age"));
    }

    [Fact]
    public async Task AllowedOrigins_NarrowsCors_AnotherOriginsPreflightAndRequestAre403_WithoutCorsHeaders()
    {
        var user = NewUser();

        using var allowedPreflight = await PreflightAsync(stack.Narrow, "/v1/t", BrowserIngestStack.AllowedOrigin, "authorization,content-type,anonymousid");
        using var refusedPreflight = await PreflightAsync(stack.Narrow, "/v1/t", PageOrigin, "authorization,content-type,anonymousid");
        // A text/plain POST needs no preflight, so the request itself is refused too: nothing from that origin is stored.
        using var refused = await PostAsync(stack.Narrow, "/v1/t", AjsEvent("track", user, $"{user}-m1"), origin: PageOrigin);
        // RudderStack's XHR delivery (application/json, Basic key, AnonymousId header) from the allowed origin.
        using var allowed = await PostAsync(stack.Narrow, "/v1/track", AjsEvent("track", user, $"{user}-m2", writeKey: null), "application/json;charset=UTF-8",
            basicKey: TestApiKeys.Write, origin: BrowserIngestStack.AllowedOrigin,
            headers: new Dictionary<string, string> { ["AnonymousId"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"anon-{user}")) });
        // A server library sends no Origin: CORS does not concern it.
        using var server = await PostAsync(stack.Narrow, "/v1/track", AjsEvent("track", user, $"{user}-m3", writeKey: null), "application/json",
            basicKey: TestApiKeys.Write, origin: null);

        Assert.Equal(HttpStatusCode.NoContent, allowedPreflight.StatusCode);
        Assert.Equal(BrowserIngestStack.AllowedOrigin, Header(allowedPreflight, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", Header(allowedPreflight, "Vary"), StringComparison.Ordinal);
        await ProblemAsync(refusedPreflight, HttpStatusCode.Forbidden);
        Assert.Null(Header(refusedPreflight, "Access-Control-Allow-Origin"));
        await ProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Null(Header(refused, "Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(BrowserIngestStack.AllowedOrigin, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, server.StatusCode);
        Assert.Null(Header(server, "Access-Control-Allow-Origin"));
        Assert.Equal(["track:" + user + "-m2", "track:" + user + "-m3"], await stack.Cluster.Database.RowsAsync(
            "SELECT type || ':' || message_id FROM user_events WHERE user_id = @user ORDER BY message_id", ("user", user)));
    }

    [Fact]
    public async Task RateLimited_429_CarriesCorsAndExposesRetryAfter_AndAHeaderKeyAndAQueryKeyShareOneBucket()
    {
        var user = NewUser();
        var beacon = (string id) => $$"""{"batch":[{"type":"track","event":"login","messageId":"{{id}}","userId":"{{user}}"}]}""";

        // limited-a: two requests, one with the key in the Authorization header and one in the beacon's query string,
        // empty its bucket of two; the third is refused whichever way it carries the key.
        using var header = await PostAsync(stack.Limited, "/v1/t", AjsEvent("track", user, $"{user}-a1", writeKey: null), basicKey: "limited-a");
        using var query = await PostAsync(stack.Limited, "/beacon/v1/batch?writeKey=limited-a", beacon($"{user}-a2"));
        using var limitedHeader = await PostAsync(stack.Limited, "/v1/t", AjsEvent("track", user, $"{user}-a3", writeKey: null), basicKey: "limited-a");
        using var limitedQuery = await PostAsync(stack.Limited, "/beacon/v1/batch?writeKey=limited-a", beacon($"{user}-a4"));
        // Another key has its own bucket.
        using var other = await PostAsync(stack.Limited, "/beacon/v1/batch?writeKey=limited-b", beacon($"{user}-b1"));

        Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        foreach (var response in new[] { limitedHeader, limitedQuery })
        {
            await ProblemAsync(response, (HttpStatusCode)429);
            Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
            Assert.True(int.Parse(Header(response, "Retry-After")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
            Assert.Contains("Retry-After", Header(response, "Access-Control-Expose-Headers"), StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal([$"{user}-a1", $"{user}-a2", $"{user}-b1"], await stack.Cluster.Database.RowsAsync(
            "SELECT message_id FROM user_events WHERE user_id = @user ORDER BY message_id", ("user", user)));
    }
}
