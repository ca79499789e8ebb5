using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 14, "Must show": random requests against a real client-api and silo on a database of their own — random
/// ids and lengths, numbers of every magnitude, wrong types, nesting, broken encodings. Every answer is a 200 with
/// every event of the request stored and applied exactly once, or a 4xx with nothing of it stored; never a 5xx.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class IngestFuzzProcessTests
{
    private const int Seed = 61214;
    private const int Requests = 240;

    [Fact]
    public async Task RandomRequests_AreEither200AndStoredExactly_Or4xxAndNothingStored_NeverA5xx()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30));

        var random = new Random(Seed);
        var expected = new Dictionary<string, int>(StringComparer.Ordinal); // user → events acknowledged
        int ok = 0, refused = 0;
        for (var request = 0; request < Requests; request++)
        {
            var (body, events) = RandomBody(random, request);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("/v1/batch", content, ct);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(ct);
            Assert.True(status < 500, $"seed {Seed}, request {request}: {status} {text}\n{Encoding.UTF8.GetString(body)}");
            if (status == 200)
            {
                ok++;
                foreach (var user in events)
                {
                    expected[user] = expected.GetValueOrDefault(user) + 1;
                }
            }
            else
            {
                refused++;
                Assert.InRange(status, 400, 499);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        // Every acknowledged event is in the log, nothing of a refused request is.
        Assert.Equal((long)expected.Values.Sum(), await cluster.Database.ScalarAsync<long>("SELECT count(*) FROM user_events"));
        foreach (var (user, count) in expected)
        {
            using var view = JsonDocument.Parse(await http.GetStringAsync($"/api/users/{Uri.EscapeDataString(user)}", ct));
            Assert.Equal(count, view.RootElement.GetProperty("eventsApplied").GetInt32());
        }
        Assert.InRange(ok, 40, Requests - 40);
        Assert.InRange(refused, 40, Requests - 40);
    }

    /// <summary>A request body and, when every event of it is within the limits, the user of each event (else empty: it must be refused).</summary>
    private static (byte[] Body, List<string> Users) RandomBody(Random random, int request)
    {
        switch (random.Next(12))
        {
            case 0: // not JSON at all, or truncated
                return (Encoding.UTF8.GetBytes(random.Next(2) == 0 ? "{\"batch\":[{\"type\":\"track\"" : "garbage" + request), []);
            case 1: // invalid UTF-8 inside a string
                var bytes = Encoding.UTF8.GetBytes($"{{\"batch\":[{{\"type\":\"track\",\"messageId\":\"x{request}\",\"userId\":\"fz-u1\",\"event\":\"login\"}}]}}");
                bytes[Array.IndexOf(bytes, (byte)'l')] = 0xC3;
                return (bytes, []);
            case 2: // deep nesting
                var deep = string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40);
                return (Encoding.UTF8.GetBytes($"{{\"batch\":[{{\"type\":\"track\",\"messageId\":\"d{request}\",\"userId\":\"fz-u1\",\"event\":\"login\",\"properties\":{deep}}}]}}"), []);
            case 3: // the wrong shape
                return (Encoding.UTF8.GetBytes(random.Next(2) == 0 ? "[1,2,3]" : "{\"batch\":{\"type\":\"track\"}}"), []);
        }

        var events = new List<string>();
        var users = new List<string>();
        var valid = true;
        var count = random.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            var user = $"fz-u{random.Next(12)}";
            var userJson = JsonSerializer.Serialize(user);
            var properties = new List<string>();
            switch (random.Next(24))
            {
                case 0:
                    userJson = JsonSerializer.Serialize(new string('é', random.Next(128, 2000)));
                    valid = false;
                    break;
                case 1:
                    properties.Add($"\"amount\":{(random.Next(2) == 0 ? "-" : "")}1e{random.Next(10, 400)}");
                    valid = false;
                    break;
                case 2:
                    properties.Add($"\"processing_time_ms\":{(random.Next(2) == 0 ? "\"fast\"" : "[1]")}");
                    valid = false;
                    break;
                case 3:
                    properties.Add($"\"accuracy\":{(1 + random.NextDouble()).ToString("R", CultureInfo.InvariantCulture)}");
                    valid = false;
                    break;
                case 4:
                    properties.Add($"\"model\":\"genre_classification\",\"model_version\":\"{new string('v', random.Next(201, 3000))}\"");
                    valid = false;
                    break;
                default:
                    properties.Add($"\"amount\":{Math.Round(random.NextDouble() * 100, 2).ToString(CultureInfo.InvariantCulture)}");
                    properties.Add($"\"accuracy\":{Math.Round(random.NextDouble(), 3).ToString(CultureInfo.InvariantCulture)}");
                    properties.Add($"\"processing_time_ms\":\"{random.Next(1, 5000)}\"");
                    properties.Add("\"nested\":{\"a\":[1,{\"b\":null}],\"€\":\"😀\"}");
                    break;
            }
            var day = 1 + random.Next(20);
            events.Add($"{{\"type\":\"track\",\"event\":\"payment_succeeded\",\"messageId\":\"fz-{request}-{i}\",\"userId\":{userJson},\"timestamp\":\"2026-11-{day:00}T12:00:00Z\",\"properties\":{{{string.Join(",", properties)}}}}}");
            users.Add(user);
        }
        return (Encoding.UTF8.GetBytes($"{{\"batch\":[{string.Join(",", events)}]}}"), valid ? users : []);
    }
}
