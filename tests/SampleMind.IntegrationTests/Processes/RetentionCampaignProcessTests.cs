using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Simulation;
using SampleMind.IntegrationTests.Infrastructure;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// A real silo and client-api with a simulated population loaded through /v1/batch, and a real local webhook receiver.
/// The silo's outbox retries quickly (200 ms backoff) and leases a claimed delivery for 5 s.
/// </summary>
public sealed class RetentionStack : IAsyncLifetime
{
    public const int Users = 300;

    public static readonly Dictionary<string, string?> SiloSettings = new()
    {
        ["Outbox__PollInterval"] = "00:00:00.200",
        ["Outbox__InitialBackoff"] = "00:00:00.200",
        ["Outbox__MaxBackoff"] = "00:00:01",
        ["Outbox__BatchSize"] = "8",
        ["Outbox__Lease"] = "00:00:05",
        ["Rollups__FlushInterval"] = "00:00:00.250",
    };

    private ProcessCluster? _cluster;

    public ProcessCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public HostProcess Silo { get; set; } = null!;

    /// <summary>The silo's ports; a replacement after kill -9 takes the same ones, so its newer generation supersedes the
    /// dead entry at once (on other ports, joining waits for the dead silo to be voted out, which can outlast the test).</summary>
    public SiloPorts Ports { get; } = SiloPorts.Free();

    public HttpClient Http { get; private set; } = null!;

    public WebhookReceiver Receiver { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Receiver = await WebhookReceiver.StartAsync();
        _cluster = await ProcessCluster.CreateAsync(ct);
        Silo = _cluster.StartSilo("silo", Ports, SiloSettings);
        var client = _cluster.StartClientApi();
        await Task.WhenAll(Silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        // The growth team's key on /api, the write key on /v1.
        Http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30), TestApiKeys.Growth);

        // 30 days of history ending today 00:00 UTC (ingest takes no future timestamps).
        var simulator = new PopulationSimulator(new SimulationOptions { Users = Users, Days = 30, Seed = 31 });
        foreach (var batch in simulator.Generate().Select(e => Encoding.UTF8.GetString(e.Json.Span)).Chunk(100))
        {
            using var content = new StringContent($"{{\"batch\":[{string.Join(',', batch)}]}}", Encoding.UTF8, "application/json");
            using var response = await Http.PostAsync("/v1/batch", content, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var indexed = await Eventually.GetAsync(
            async () => (await Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM user_index"), await Cluster.Database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_events")),
            c => c.Item1 == c.Item2, TimeSpan.FromSeconds(60));
        Assert.Equal(indexed.Item2, indexed.Item1);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostCampaignAsync(string json, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/retention-campaigns") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType == "application/problem+json", text);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        await Receiver.DisposeAsync();
    }
}

/// <summary>
/// Issue 7, "Must show" against real processes: each treated user's action reaches the webhook exactly once by
/// idempotency key although the receiver refuses the first two attempts of every key and the silo is killed (kill -9)
/// mid-delivery and replaced; holdout users get nothing. Bad input is a 400 ProblemDetails that records and sends nothing.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class RetentionCampaignProcessTests(RetentionStack stack) : IClassFixture<RetentionStack>
{
    [Fact]
    public async Task EachTreatedUser_GetsTheActionOnce_ThroughReceiverFailuresAndASiloKill_AndHoldoutUsersNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var receiver = stack.Receiver;
        receiver.FailFirstAttempts = 2;
        receiver.Delay = TimeSpan.FromMilliseconds(150);
        var (status, campaign) = await stack.PostCampaignAsync($$"""
            {"name": "win back", "target": {"minScore": 0}, "action": "discount_20", "holdoutShare": 0.2, "webhookUrl": "{{receiver.Url}}"}
            """);
        Assert.Equal(HttpStatusCode.Created, status);
        var id = campaign.GetProperty("id").GetString()!;
        var (treated, holdout) = (campaign.GetProperty("treated").GetInt32(), campaign.GetProperty("holdout").GetInt32());
        Assert.Equal(await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM user_index"), treated + holdout);
        Assert.True(treated > 100 && holdout > 20, $"treated {treated}, holdout {holdout}");

        // Kill the silo once some (not all) actions are through, then start another.
        var some = await Eventually.GetAsync(() => Task.FromResult(Mine(receiver.Accepted.Keys).Count()), n => n >= 10, TimeSpan.FromSeconds(60));
        Assert.InRange(some, 10, treated - 1);
        stack.Silo.Kill();
        stack.Silo = stack.Cluster.StartSilo("silo-2", stack.Ports, RetentionStack.SiloSettings);
        await stack.Silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);

        var view = await Eventually.GetAsync(async () =>
        {
            try
            {
                return await stack.Http.GetFromJsonAsync<JsonElement>($"/api/retention-campaigns/{id}", ct);
            }
            catch (HttpRequestException)
            {
                return default;
            }
        }, v => v.ValueKind == JsonValueKind.Object && v.GetProperty("delivered").GetInt32() == treated, TimeSpan.FromSeconds(120));
        Assert.Equal((treated, 0, 0), (view.GetProperty("delivered").GetInt32(), view.GetProperty("failed").GetInt32(), view.GetProperty("pending").GetInt32()));

        var users = await stack.Http.GetFromJsonAsync<JsonElement[]>($"/api/retention-campaigns/{id}/users", ct);
        var treatedUsers = users!.Where(u => u.GetProperty("arm").GetString() == "treatment").Select(u => u.GetProperty("userId").GetString()!).ToHashSet();
        var holdoutUsers = users!.Where(u => u.GetProperty("arm").GetString() == "holdout").Select(u => u.GetProperty("userId").GetString()!).ToHashSet();
        Assert.Equal((treated, holdout), (treatedUsers.Count, holdoutUsers.Count));

        // The receiver's deduplicated view: exactly one key per treated user, each carrying that user and the action.
        var accepted = receiver.Accepted.Where(a => a.Key.StartsWith(id + ":", StringComparison.Ordinal)).ToDictionary();
        Assert.Equal(treatedUsers.Select(u => $"{id}:{u}:discount_20").Order(), accepted.Keys.Order());
        Assert.All(accepted, a => Assert.Equal(
            (a.Key, "discount_20", id, "retention"),
            ($"{id}:{a.Value.Body.GetProperty("userId").GetString()}:discount_20", a.Value.Body.GetProperty("action").GetString(), a.Value.Body.GetProperty("campaignId").GetString(), a.Value.Kind)));
        Assert.DoesNotContain(receiver.Calls, c => holdoutUsers.Any(u => c.IdempotencyKey == $"{id}:{u}:discount_20"));
        // Every key was refused twice before it was accepted.
        Assert.All(accepted.Keys, key => Assert.Equal([503, 503], receiver.Calls.Where(c => c.IdempotencyKey == key).Select(c => c.Status).Take(2)));
        var calls = receiver.Calls.Where(c => Mine([c.IdempotencyKey ?? ""]).Any()).ToList();
        var repeats = calls.Count(c => c.Status == 200) - accepted.Count;
        TestContext.Current.TestOutputHelper?.WriteLine($"treated {treated}, holdout {holdout}, calls {calls.Count}, accepted {accepted.Count}, accepted again after the kill {repeats}");

        IEnumerable<string> Mine(IEnumerable<string> keys) => keys.Where(k => k.StartsWith(id + ":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RepeatedPost_WithTheSameIdempotencyKey_ReturnsTheFirstCampaign_AndSendsNothingMore()
    {
        var body = $$"""{"target": {"riskLevel": "HIGH"}, "action": "support_callback", "holdoutShare": 0.5, "webhookUrl": "{{stack.Receiver.Url}}"}""";
        var first = await stack.PostCampaignAsync(body, "same-key");
        var rows = await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM outbox");
        var second = await stack.PostCampaignAsync(body, "same-key");

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (first.Status, second.Status));
        Assert.Equal(first.Body.GetProperty("id").GetString(), second.Body.GetProperty("id").GetString());
        Assert.Equal(rows, await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM outbox"));
        Assert.Equal(first.Body.GetProperty("treated").GetInt32(),
            await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM outbox WHERE reference = @id", ("id", first.Body.GetProperty("id").GetString())));
    }

    [Theory]
    [InlineData("unknown-action", """{"target": {"riskLevel": "HIGH"}, "action": "free_pony", "holdoutShare": 0.1, "webhookUrl": "URL"}""", "action")]
    [InlineData("missing-action", """{"target": {"riskLevel": "HIGH"}, "holdoutShare": 0.1, "webhookUrl": "URL"}""", "action")]
    [InlineData("empty-target", """{"target": {}, "action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "URL"}""", "target")]
    [InlineData("no-target", """{"action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "URL"}""", "target")]
    [InlineData("target-matches-nobody", """{"target": {"minScore": 1, "segment": "power_users"}, "action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "URL"}""", "target")]
    [InlineData("bad-level", """{"target": {"riskLevel": "SEVERE"}, "action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "URL"}""", "target.riskLevel")]
    [InlineData("holdout-above", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "holdoutShare": 0.51, "webhookUrl": "URL"}""", "holdoutShare")]
    [InlineData("holdout-negative", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "holdoutShare": -0.1, "webhookUrl": "URL"}""", "holdoutShare")]
    [InlineData("holdout-missing", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "webhookUrl": "URL"}""", "holdoutShare")]
    [InlineData("webhook-ftp", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "ftp://127.0.0.1/hook"}""", "webhookUrl")]
    [InlineData("webhook-relative", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "/hook"}""", "webhookUrl")]
    [InlineData("webhook-host", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "http://hooks.example.com/x"}""", "webhookUrl")]
    [InlineData("future-start", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "holdoutShare": 0.1, "webhookUrl": "URL", "startAt": "2999-01-01T00:00:00Z"}""", "startAt")]
    [InlineData("holdout-text", """{"target": {"riskLevel": "HIGH"}, "action": "discount_20", "holdoutShare": "a lot", "webhookUrl": "URL"}""", "body")]
    [InlineData("not-json", """{"target": """, "body")]
    public async Task BadCampaign_Is400ProblemDetails_AndRecordsAndSendsNothing(string name, string body, string field)
    {
        var before = await Counts();
        var known = (await stack.Cluster.Database.RowsAsync("SELECT id FROM retention_campaigns")).ToList();

        var (status, problem) = await stack.PostCampaignAsync(body.Replace("URL", stack.Receiver.Url, StringComparison.Ordinal), $"bad-{name}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        // Nothing new in the outbox means nothing can be sent; the receiver has heard only of earlier campaigns.
        Assert.Equal(before, await Counts());
        Assert.All(stack.Receiver.Calls, c => Assert.Contains(known, id => c.IdempotencyKey!.StartsWith(id + ":", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UnknownCampaign_Is404_AndBadArmOrAlertState_Is400()
    {
        var ct = TestContext.Current.CancellationToken;
        using var missing = await stack.Http.GetAsync("/api/retention-campaigns/rc-nope", ct);
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (missing.StatusCode, missing.Content.Headers.ContentType?.MediaType));
        using var arm = await stack.Http.GetAsync("/api/retention-campaigns/rc-nope/users?arm=both", ct);
        Assert.Equal(HttpStatusCode.BadRequest, arm.StatusCode);
        using var alerts = await stack.Http.GetAsync("/api/alerts?state=burning", ct);
        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (alerts.StatusCode, alerts.Content.Headers.ContentType?.MediaType));
    }

    private async Task<(long Campaigns, long Assignments, long Outbox)> Counts()
        => (await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM retention_campaigns"),
            await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM retention_assignments"),
            await stack.Cluster.Database.ScalarAsync<long>("SELECT count(*) FROM outbox"));
}
