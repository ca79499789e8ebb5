using System.Net;
using System.Text;
using System.Text.Json;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 14: a write key is public in a browser, so one key cannot take the ingest path from the others. A client-api
/// with a bucket of three requests per write key (refilled once in 1,000 s, so no refill happens during the test): of
/// ten concurrent batches exactly three are stored and seven get 429 ProblemDetails with Retry-After, nothing of them
/// stored; another write key and the read API are unaffected.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class RateLimitProcessTests
{
    private const string OtherWriteKey = "second-write-key";

    [Fact]
    public async Task OneWriteKeyPastItsBucket_Gets429WithNothingStored_OthersUnaffected()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var client = cluster.StartClientApi(settings: new Dictionary<string, string?>
        {
            ["Ingest__WriteKeys__1"] = OtherWriteKey,
            ["Ingest__RateLimit__PermitsPerSecond"] = "0.001",
            ["Ingest__RateLimit__Burst"] = "3",
        });
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30));

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => SendAsync(http, TestApiKeys.Write, $"rl-a-{i}", ct)));
        var stored = answers.Where(a => a.Status == HttpStatusCode.OK).Select(a => a.User).ToHashSet();
        var limited = answers.Where(a => a.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(3, stored.Count);
        Assert.Equal(7, limited.Count);
        foreach (var answer in limited)
        {
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.Equal(429, answer.Problem!.RootElement.GetProperty("status").GetInt32());
            Assert.True(int.Parse(answer.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture) >= 1, answer.RetryAfter);
        }

        // The other key has a bucket of its own; the API (its own limit, default 2,000/s) still answers.
        var other = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => SendAsync(http, OtherWriteKey, $"rl-b-{i}", ct)));
        Assert.All(other, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        foreach (var answer in other)
        {
            stored.Add(answer.User);
        }

        var users = await cluster.Database.RowsAsync("SELECT user_id FROM user_events ORDER BY user_id COLLATE \"C\"");
        Assert.Equal(stored.Order(StringComparer.Ordinal), users);
        foreach (var user in stored)
        {
            using var view = JsonDocument.Parse(await http.GetStringAsync($"/api/users/{user}", ct));
            Assert.Equal(1, view.RootElement.GetProperty("eventsApplied").GetInt32());
        }
    }

    private static async Task<(string User, HttpStatusCode Status, string? ContentType, string? RetryAfter, JsonDocument? Problem)> SendAsync(
        HttpClient http, string writeKey, string user, CancellationToken ct)
    {
        var body = $$"""{"batch":[{"type":"track","messageId":"{{user}}-m","userId":"{{user}}","event":"login","timestamp":"2026-12-01T10:00:00Z"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = TestApiKeys.Basic(writeKey);
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var contentType = response.Content.Headers.ContentType?.MediaType;
        var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null;
        return (user, response.StatusCode, contentType, retryAfter, contentType == "application/problem+json" ? JsonDocument.Parse(text) : null);
    }
}
