using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using SampleMind.IntegrationTests.Infrastructure;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 17.7: GET /api/quality against a real silo and client-api. Two sources (context.library.name, once from the
/// batch's context and once from each event's) post events with duplicates, late and out-of-order events, incomplete
/// vocabulary events and refused bodies; the answer equals the figures computed by hand below, per (source, day).
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class DataQualityProcessTests(BadInputStack stack) : IClassFixture<BadInputStack>
{
    private const string Node = "sm-node";
    private const string Web = "sm-web";

    private static string Event(string messageId, string userId, string name, DateTimeOffset? at, string properties,
        string context = "")
    {
        var timestamp = at is null
            ? ""
            : $"\"timestamp\":\"{at.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}\",";
        return $$"""{"type":"track","messageId":"{{messageId}}","userId":"{{userId}}","event":"{{name}}",{{timestamp}}"properties":{{properties}}{{context}}}""";
    }

    private static string WebContext => ""","context":{"library":{"name":"sm-web","version":"2.0"}}""";

    private async Task<HttpStatusCode> PostAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = TestApiKeys.Basic(TestApiKeys.Write); // the stack's client adds no write key
        using var response = await stack.Http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Quality_EqualsTheHandComputedFigures_PerSourceAndDay()
    {
        var now = DateTimeOffset.UtcNow;
        var day = DateOnly.FromDateTime(now.UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        const string nodeContext = ""","context":{"library":{"name":"sm-node"}}""";

        // sm-node (the batch's context): q-a3 is three hours late and stored after q-a1 and q-a2 of the same person,
        // which happened later (out of order); q-a2 and q-a5 miss required properties.
        string[] node =
        [
            Event("q-a1", "q-u1", "analysis_completed", now.AddMinutes(-10), """{"model":"genre","model_version":"2.1","processing_time_ms":120}"""),
            Event("q-a2", "q-u1", "analysis_completed", now.AddMinutes(-5), """{"model":"genre"}"""),
            Event("q-a3", "q-u1", "login", now.AddHours(-3), "{}"),
            Event("q-a4", "q-u2", "payment_succeeded", now.AddMinutes(-1), """{"amount":9.99}"""),
            Event("q-a5", "q-u2", "feature_used", now.AddSeconds(-30), "{}"),
        ];
        Assert.Equal(HttpStatusCode.OK, await PostAsync($$"""{"batch":[{{string.Join(',', node)}}]{{nodeContext}}}"""));
        // A retry of q-a1 and q-a4 (two duplicates) with one new event without a timestamp (lag ≈ 0).
        Assert.Equal(HttpStatusCode.OK, await PostAsync(
            $$"""{"batch":[{{node[0]}},{{node[3]}},{{Event("q-a6", "q-u3", "signup_started", null, "{}")}}]{{nodeContext}}}"""));

        // sm-web (each event's context): two late events (2 h, 90 min), one incomplete (a null rating is no rating).
        Assert.Equal(HttpStatusCode.OK, await PostAsync($$"""{"batch":[{{string.Join(',',
            Event("q-b1", "q-u4", "subscription_started", now.AddHours(-2), """{"plan":"pro","amount":29}""", WebContext),
            Event("q-b2", "q-u4", "analysis_feedback", now.AddMinutes(-90), """{"rating":null}""", WebContext),
            Event("q-b3", "q-u4", "page_viewed", now.AddMinutes(-1), "{}", WebContext))}}]}"""));
        // A refused sm-web body of two events (the second has no messageId), and a body that is not JSON (unknown source).
        var missingId = Event("q-b5", "q-u4", "login", now, "{}", WebContext).Replace("\"messageId\":\"q-b5\",", "", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync($$"""{"batch":[{{Event("q-b4", "q-u4", "login", now, "{}", WebContext)}},{{missingId}}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync("{not json"));

        // The write-behind runs every ~2 s: wait for the last counts to arrive.
        var rows = await Eventually.GetAsync(
            async () => await GetRowsAsync($"/api/quality?from={day}&to={day}"),
            r => r.TryGetValue(Node, out var n) && n.GetProperty("accepted").GetInt64() == 8
                && r.TryGetValue(Web, out var w) && w.GetProperty("received").GetInt64() == 5
                && r.ContainsKey("unknown"),
            TimeSpan.FromSeconds(30));
        Assert.Equal([Node, Web, "unknown"], rows.Keys.Order(StringComparer.Ordinal));

        // sm-node: received 8 (5 + 3), stored 6, 2 duplicates, 1 out of order; complete 2 of 4 (q-a1, q-a4 of q-a1, q-a2,
        // q-a4, q-a5); within an hour 5 of 6 (all but q-a3).
        AssertRow(rows[Node], day, Node, received: 8, accepted: 8, stored: 6, rejected: new(), duplicates: 2, outOfOrder: 1,
            requiredEvents: 4, completeEvents: 2, withinHour: 5,
            completeness: 0.5, validity: 6 / 8.0, timeliness: 5 / 6.0, consistency: 1 - 3 / 8.0);
        // sm-web: received 5 (3 accepted + 2 refused), stored 3; complete 1 of 2 (q-b1 of q-b1, q-b2); within an hour 1 of 3.
        AssertRow(rows[Web], day, Web, received: 5, accepted: 3, stored: 3, rejected: new() { ["invalid"] = 2 }, duplicates: 0,
            outOfOrder: 0, requiredEvents: 2, completeEvents: 1, withinHour: 1,
            completeness: 0.5, validity: 3 / 5.0, timeliness: 1 / 3.0, consistency: 1);
        // unknown: the one body nobody could read, nothing stored.
        AssertRow(rows["unknown"], day, "unknown", received: 1, accepted: 0, stored: 0, rejected: new() { ["invalid"] = 1 },
            duplicates: 0, outOfOrder: 0, requiredEvents: 0, completeEvents: 0, withinHour: 0,
            completeness: 1, validity: 0, timeliness: 1, consistency: 1);
        Assert.Equal(JsonValueKind.Null, rows["unknown"].GetProperty("lagP50Seconds").ValueKind);

        // The lag percentiles, from each stored row's received_at − timestamp (continuous percentiles, as PostgreSQL's).
        foreach (var (source, prefix) in new[] { (Node, "q-a"), (Web, "q-b") })
        {
            var lags = (await stack.Cluster.Database.RowsAsync(
                    "select extract(epoch from received_at - ts)::float8 from user_events where message_id like @p order by 1",
                    ("p", prefix + "%")))
                .Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(source == Node ? 6 : 3, lags.Length);
            Assert.Equal(Percentile(lags, 0.5), rows[source].GetProperty("lagP50Seconds").GetDouble(), 6);
            Assert.Equal(Percentile(lags, 0.95), rows[source].GetProperty("lagP95Seconds").GetDouble(), 6);
        }
    }

    [Theory]
    [InlineData("?from=2026-12-08&to=2026-12-01", "from")]
    [InlineData("?from=yesterday", "from")]
    [InlineData("?to=2026-13-01", "to")]
    [InlineData("?from=2026-01-01&to=2026-12-31", "to")]
    public async Task BadRange_Is400ValidationProblem(string query, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await stack.Http.GetAsync("/api/quality" + query, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), problem.RootElement.ToString());
    }

    private async Task<Dictionary<string, JsonElement>> GetRowsAsync(string url)
    {
        var json = await stack.Http.GetStringAsync(url, TestContext.Current.CancellationToken);
        var rows = JsonDocument.Parse(json).RootElement.GetProperty("rows");
        return rows.EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!, r => r.Clone(), StringComparer.Ordinal);
    }

    private static void AssertRow(JsonElement row, string day, string source, long received, long accepted, long stored,
        Dictionary<string, long> rejected, long duplicates, long outOfOrder, long requiredEvents, long completeEvents,
        long withinHour, double completeness, double validity, double timeliness, double consistency)
    {
        Assert.Equal(day, row.GetProperty("day").GetString());
        Assert.Equal(source, row.GetProperty("source").GetString());
        Assert.Equal(
            (received, accepted, stored, duplicates, outOfOrder, requiredEvents, completeEvents, withinHour),
            (row.GetProperty("received").GetInt64(), row.GetProperty("accepted").GetInt64(), row.GetProperty("stored").GetInt64(),
                row.GetProperty("duplicates").GetInt64(), row.GetProperty("outOfOrder").GetInt64(),
                row.GetProperty("requiredEvents").GetInt64(), row.GetProperty("completeEvents").GetInt64(),
                row.GetProperty("withinHour").GetInt64()));
        Assert.Equal(rejected, row.GetProperty("rejected").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));
        Assert.Equal(completeness, row.GetProperty("completeness").GetDouble(), 12);
        Assert.Equal(validity, row.GetProperty("validity").GetDouble(), 12);
        Assert.Equal(timeliness, row.GetProperty("timeliness").GetDouble(), 12);
        Assert.Equal(consistency, row.GetProperty("consistency").GetDouble(), 12);
        Assert.Equal((completeness + validity + timeliness + consistency) / 4, row.GetProperty("score").GetDouble(), 12);
    }

    /// <summary>The continuous percentile of sorted values (PostgreSQL's percentile_cont): linear between ranks.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
    }
}
