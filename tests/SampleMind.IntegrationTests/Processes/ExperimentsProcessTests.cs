using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SampleMind.Analytics.Experiments;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 18 with real processes (two silos, client-api): a pricing experiment created through the API, 600 people
/// assigned, their conversions and payments sent as events; the live per-variant figures equal the figures worked out
/// here from what was sent, the statistics equal the library's on those figures, assignment is identical across both
/// silos and a silo restart, a repeated assignment records nothing more, a stopped experiment answers the same variant
/// and records nothing; bad definitions are 400 and a different definition under the same key 409.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ExperimentsProcessTests
{
    private const int People = 600;

    private const string Definition = """
        {"key":"price-q4","variants":[{"name":"control","weight":1,"price":29.99},{"name":"mid","weight":1,"price":34.99},{"name":"high","weight":1,"price":39.99}],
         "metric":{"event":"subscription_started","withinDays":14}}
        """;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task APricingTest_CountsExactly_AssignsStably_AndRefusesBadInput()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var portsA = SiloPorts.Free();
        var siloA = cluster.StartSilo("silo-a", portsA);
        var siloB = cluster.StartSilo("silo-b", SiloPorts.Free());
        var client = cluster.StartClientApi();
        await Task.WhenAll(siloA.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), siloB.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct),
            client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30), bearer: TestApiKeys.Growth);

        // Create: 201, the same body again 200, another definition under the key 409; bad bodies 400 naming the field.
        using (var created = await http.PostAsync("/api/experiments", Json(Definition), ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/api/experiments/price-q4", created.Headers.Location?.OriginalString);
        }
        using (var again = await http.PostAsync("/api/experiments", Json(Definition), ct))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        using (var conflict = await http.PostAsync("/api/experiments", Json(Definition.Replace("\"withinDays\":14", "\"withinDays\":7")), ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        }
        foreach (var (body, field) in new[]
        {
            (Definition.Replace("price-q4", "zero-weight").Replace("\"weight\":1,\"price\":29.99", "\"weight\":0,\"price\":29.99"), "variants[0].weight"),
            (Definition.Replace("price-q4", "negative-weight").Replace("\"weight\":1,\"price\":34.99", "\"weight\":-2,\"price\":34.99"), "variants[1].weight"),
            (Definition.Replace("price-q4", "bad-metric").Replace("subscription_started", "page_view"), "metric.event"),
            (Definition.Replace("price-q4", "bad-days").Replace("\"withinDays\":14", "\"withinDays\":0"), "metric.withinDays"),
            ("""{"key":"one-variant","variants":[{"name":"a","weight":1}],"metric":{"event":"trial_started","withinDays":7}}""", "variants"),
            ("""{"key":"no-metric","variants":[{"name":"a","weight":1},{"name":"b","weight":1}]}""", "metric"),
            ("""{"key":"x","variants":""", "body"),
        })
        {
            using var bad = await http.PostAsync("/api/experiments", Json(body), ct);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var problem = await bad.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{field}: {problem}");
        }
        var list = await http.GetFromJsonAsync<JsonElement>("/api/experiments", ct);
        Assert.Equal(["price-q4"], list.EnumerateArray().Select(e => e.GetProperty("key").GetString()));

        // Assign 600 people; each answer is the library's hash assignment.
        var definition = new ExperimentDefinition("price-q4",
            [new VariantDefinition("control", 1, 29.99m), new VariantDefinition("mid", 1, 34.99m), new VariantDefinition("high", 1, 39.99m)],
            new ExperimentMetric("subscription_started", 14), null);
        var assigned = new Dictionary<string, string>();
        for (var i = 0; i < People; i++)
        {
            var answer = await http.GetFromJsonAsync<JsonElement>($"/api/experiments/price-q4/assignment?userId=p-{i}", ct);
            Assert.True(answer.GetProperty("exposureRecorded").GetBoolean());
            assigned[$"p-{i}"] = answer.GetProperty("variant").GetString()!;
            Assert.Equal(definition.Assign($"p-{i}").Name, assigned[$"p-{i}"]);
        }

        // Conversions: a seeded share of each variant subscribes (and pays its price) an hour after exposure; 40 people
        // subscribed a day before exposure (not caused by the experiment: no conversion, no revenue in the window).
        var random = new Random(18);
        var rates = new Dictionary<string, double> { ["control"] = 0.30, ["mid"] = 0.25, ["high"] = 0.15 };
        var prices = new Dictionary<string, decimal> { ["control"] = 29.99m, ["mid"] = 34.99m, ["high"] = 39.99m };
        var expected = rates.Keys.ToDictionary(v => v, _ => (Exposed: 0L, Conversions: 0L, Revenue: 0m, Squares: 0m));
        var events = new List<string>();
        var later = DateTimeOffset.UtcNow.AddHours(1);
        foreach (var (user, variant) in assigned)
        {
            var builder = new EventBuilder(user);
            var e = expected[variant];
            e.Exposed++;
            if (int.Parse(user[2..]) % 15 == 0)
            {
                events.Add(builder.Track("subscription_started", later.AddDays(-1).AddHours(-1), new { plan = "pro", amount = prices[variant] }));
            }
            else if (random.NextDouble() < rates[variant])
            {
                events.Add(builder.Track("subscription_started", later, new { plan = "pro", amount = prices[variant] }));
                events.Add(builder.Track("payment_succeeded", later, new { amount = prices[variant] }));
                e.Conversions++;
                e.Revenue += prices[variant];
                e.Squares += prices[variant] * prices[variant];
            }
            expected[variant] = e;
        }
        foreach (var batch in events.Chunk(100))
        {
            using var response = await http.PostAsync("/v1/batch", Json($"{{\"batch\":[{string.Join(',', batch)}]}}"), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Asking again records nothing more (one messageId per person and experiment).
        for (var i = 0; i < 50; i++)
        {
            var answer = await http.GetFromJsonAsync<JsonElement>($"/api/experiments/price-q4/assignment?userId=p-{i}", ct);
            Assert.Equal(assigned[$"p-{i}"], answer.GetProperty("variant").GetString());
        }

        var view = await WaitForAsync(http, v => Sum(v, "exposed") == People && Sum(v, "conversions") == expected.Values.Sum(e => e.Conversions), ct);
        TestContext.Current.TestOutputHelper?.WriteLine(view.ToString());
        var control = expected["control"];
        foreach (var variant in view.GetProperty("variants").EnumerateArray())
        {
            var name = variant.GetProperty("name").GetString()!;
            var e = expected[name];
            Assert.Equal(e.Exposed, variant.GetProperty("exposed").GetInt64());
            Assert.Equal(e.Conversions, variant.GetProperty("conversions").GetInt64());
            Assert.Equal((double)e.Conversions / e.Exposed, variant.GetProperty("rate").GetDouble(), 1e-12);
            Assert.Equal(Math.Round(e.Revenue / e.Exposed, 4, MidpointRounding.AwayFromZero), variant.GetProperty("revenuePerVisitor").GetDecimal());
            Assert.Equal(0, variant.GetProperty("churn").GetDouble());
            if (name == "control")
            {
                Assert.False(variant.TryGetProperty("z", out var z) && z.ValueKind != JsonValueKind.Null);
                continue;
            }
            var test = ExperimentStatistics.CompareProportions(control.Exposed, control.Conversions, e.Exposed, e.Conversions)!.Value;
            Assert.Equal(test.Z, variant.GetProperty("z").GetDouble(), 1e-12);
            Assert.Equal(test.PValue, variant.GetProperty("pValue").GetDouble(), 1e-12);
            Assert.Equal(test.CiLow, variant.GetProperty("ciLow").GetDouble(), 1e-12);
            var welch = ExperimentStatistics.CompareMeans(control.Exposed, (double)control.Revenue, (double)control.Squares, e.Exposed, (double)e.Revenue, (double)e.Squares)!.Value;
            Assert.Equal(welch.PValue, variant.GetProperty("revenuePValue").GetDouble(), 1e-9);
            Assert.InRange(variant.GetProperty("sequentialPValue").GetDouble(), 0, 1);
        }
        var srm = ExperimentStatistics.SampleRatioPValue([.. new[] { "control", "mid", "high" }.Select(v => expected[v].Exposed)], [1, 1, 1])!.Value;
        Assert.Equal(srm, view.GetProperty("srmPValue").GetDouble(), 1e-12);
        Assert.Equal(2, view.GetProperty("elasticity").GetArrayLength());
        Assert.Equal(prices.MaxBy(p => expected[p.Key].Revenue / expected[p.Key].Exposed).Value, view.GetProperty("revenueOptimalPrice").GetDecimal());
        Assert.Equal(People, await cluster.Database.ScalarAsync<long>("select count(*) from user_events where event = 'experiment_viewed'"));

        // A restart of silo A: the answers stay the same.
        await siloA.StopGracefullyAsync(TimeSpan.FromSeconds(60), ct);
        var siloA2 = cluster.StartSilo("silo-a2", SiloPorts.Free());
        await siloA2.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        for (var i = 0; i < People; i += 7)
        {
            var answer = await http.GetFromJsonAsync<JsonElement>($"/api/experiments/price-q4/assignment?userId=p-{i}", ct);
            Assert.Equal(assigned[$"p-{i}"], answer.GetProperty("variant").GetString());
        }

        // Stopped: the same variant, nothing recorded; a new person is answered and not exposed.
        using (var stop = await http.PostAsync("/api/experiments/price-q4/stop", null, ct))
        {
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
            Assert.Equal("stopped", (await stop.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString());
        }
        var stopped = await http.GetFromJsonAsync<JsonElement>("/api/experiments/price-q4/assignment?userId=newcomer", ct);
        Assert.Equal(definition.Assign("newcomer").Name, stopped.GetProperty("variant").GetString());
        Assert.False(stopped.GetProperty("exposureRecorded").GetBoolean());
        Assert.Equal(People, await cluster.Database.ScalarAsync<long>("select count(*) from user_events where event = 'experiment_viewed'"));

        // Unknown experiment 404, a missing or bad userId 400.
        using (var missing = await http.GetAsync("/api/experiments/nope/assignment?userId=a", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        using (var noUser = await http.GetAsync("/api/experiments/price-q4/assignment", ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noUser.StatusCode);
        }
        await AssertReadRoleCannotCreateAsync(client.BaseAddress, ct);

        // Targeting: a person outside the segment (here: no events, so no segment) gets the control and is not exposed.
        using (var targeted = await http.PostAsync("/api/experiments", Json(Definition.Replace("price-q4", "power-only").Replace("\"withinDays\":14}", "\"withinDays\":14}, \"segment\":\"power_users\"")), ct))
        {
            Assert.Equal(HttpStatusCode.Created, targeted.StatusCode);
        }
        var outside = await http.GetFromJsonAsync<JsonElement>("/api/experiments/power-only/assignment?userId=stranger", ct);
        Assert.Equal(("control", false, false), (outside.GetProperty("variant").GetString(), outside.GetProperty("inExperiment").GetBoolean(), outside.GetProperty("exposureRecorded").GetBoolean()));

        // The SQL oracle agrees with the live grains, variant by variant.
        var output = await cluster.AssertReconciledAsync(ct);
        Assert.Contains("0 experiment differences over 2 experiments", output, StringComparison.Ordinal);

        // The CLI shows the same figures.
        var (listCode, listed) = await cluster.RunCliAsync(ct, "experiments", "list");
        Assert.True(listCode == 0, listed);
        Assert.Contains("price-q4", listed, StringComparison.Ordinal);
        Assert.Contains("2 experiments", listed, StringComparison.Ordinal);
        var (showCode, shown) = await cluster.RunCliAsync(ct, "experiments", "show", "price-q4");
        Assert.True(showCode == 0, shown);
        foreach (var (name, e) in expected)
        {
            Assert.Contains($"{name} ", shown, StringComparison.Ordinal);
            Assert.Contains(e.Conversions.ToString(System.Globalization.CultureInfo.InvariantCulture), shown, StringComparison.Ordinal);
        }
        var (missingCode, missingOutput) = await cluster.RunCliAsync(ct, "experiments", "show", "nope");
        Assert.Equal(1, missingCode);
        Assert.Contains("no experiment 'nope' exists", missingOutput, StringComparison.Ordinal);
    }

    private static async Task AssertReadRoleCannotCreateAsync(Uri baseAddress, CancellationToken ct)
    {
        using var read = TestApiKeys.Client(baseAddress, TimeSpan.FromSeconds(10), bearer: TestApiKeys.Read);
        using var response = await read.PostAsync("/api/experiments", Json(Definition.Replace("price-q4", "by-reader")), ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static long Sum(JsonElement view, string field) => view.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty(field).GetInt64());

    private static async Task<JsonElement> WaitForAsync(HttpClient http, Func<JsonElement, bool> done, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement view;
        do
        {
            await Task.Delay(250, ct);
            view = await http.GetFromJsonAsync<JsonElement>("/api/experiments/price-q4", ct);
        }
        while (!done(view) && DateTime.UtcNow < deadline);
        return view;
    }
}
