using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 13.2, "Must show", with real processes: a population whose people start anonymous (a UTM visit, signup_started),
/// identify at signup, sometimes on two devices, some with an alias from an older identified id (a person merged into
/// another), one loop and later anonymous-only events, all shuffled across /v1/batch requests (so a merge arrives before
/// or after the anonymous events). Every person's GET /api/users/{id} (and by each of their anonymous ids) counts each
/// sent event once, and reconcile --check finds zero differences after the load, after a graceful restart, and after
/// kill -9 of the silo in the middle of a load with merges, the client's retries and reconcile --fix.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class IdentityMergeProcessTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Merges_CountEachEventOnceForThePerson_AndReconcileFindsNoDifference_AfterLoad_Restart_AndKill9()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var ports = SiloPorts.Free();
        var silo = cluster.StartSilo("silo", ports);
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(15));

        // An alias without previousId is refused whole: 400 ProblemDetails, nothing stored.
        using (var alias = new StringContent("""{"type":"alias","messageId":"bad-alias","userId":"nobody"}""", Encoding.UTF8, "application/json"))
        using (var refused = await http.PostAsync("/v1/alias", alias, ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(JsonNode.Parse(await refused.Content.ReadAsStringAsync(ct))!["errors"]!["previousId"]);
        }

        var first = Population.Create("p", 40, seed: 1);
        Assert.Equal(first.Events.Count, await SendAllAsync(http, first.Events, ct));
        await AssertPeopleAsync(http, first, ct);
        output.WriteLine($"load 1: {first.Events.Count} events of {first.People.Count} people, {await LinksAsync(cluster)} identity links; "
            + (await cluster.AssertReconciledAsync(ct)).Trim().Split('\n')[^1]);

        Assert.Equal(0, await silo.StopGracefullyAsync(TimeSpan.FromSeconds(60), ct));
        silo = cluster.StartSilo("silo-2", ports);
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        await AssertPeopleAsync(http, first, ct);
        output.WriteLine("after a graceful restart: " + (await cluster.AssertReconciledAsync(ct)).Trim().Split('\n')[^1]);

        // kill -9 while a second population with merges streams in; the sender retries what failed (same messageIds).
        var second = Population.Create("q", 40, seed: 2);
        var load = SendAllAsync(http, second.Events, ct);
        await WaitUntilAsync(async () => await cluster.Database.ScalarAsync<long>("select count(*) from identity_links where merged_id like 'q-%'") >= 10, ct);
        silo.Kill();
        var linksAtKill = await cluster.Database.ScalarAsync<long>("select count(*) from identity_links where merged_id like 'q-%'");
        silo = cluster.StartSilo("silo-3", ports);
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        Assert.Equal(second.Events.Count, await load);
        await AssertPeopleAsync(http, second, ct);
        await AssertPeopleAsync(http, first, ct);
        Assert.Equal(first.Events.Count + second.Events.Count, await cluster.Database.ScalarAsync<long>("select count(*) from user_events"));

        var from = DateOnly.FromDateTime(Now.AddDays(-75).UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = DateOnly.FromDateTime(Now.AddDays(7).UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var fix = await cluster.RunCliAsync(ct, "reconcile", "--fix", "--from", from, "--to", to);
        Assert.True(fix.ExitCode == 0, fix.Output);
        output.WriteLine($"kill -9 with {linksAtKill} of the second load's links written; after retries and --fix: {await LinksAsync(cluster)} links; "
            + (await cluster.AssertReconciledAsync(ct)).Trim().Split('\n')[^1]);
    }

    private static Task<long> LinksAsync(ProcessCluster cluster) => cluster.Database.ScalarAsync<long>("select count(*) from identity_links");

    /// <summary>Each person counts exactly their events, read by the person's id and by every key merged into them.</summary>
    private static async Task AssertPeopleAsync(HttpClient http, Population population, CancellationToken ct)
    {
        foreach (var person in population.People)
        {
            var id = person.Id;
            if (person.Loop)
            {
                id = (await GetUserAsync(http, person.Id, ct))["userId"]!.GetValue<string>();
                Assert.Contains(id, person.Keys);
            }
            foreach (var key in person.Keys)
            {
                var view = await GetUserAsync(http, key, ct);
                Assert.True(view["userId"]!.GetValue<string>() == id, $"GET /api/users/{key} answered {view["userId"]}, not {id}");
                Assert.True(view["eventsApplied"]!.GetValue<long>() == person.Events, $"{key} ({person.Id}): eventsApplied {view["eventsApplied"]}, sent {person.Events}");
            }
        }
    }

    /// <summary>GET /api/users/{key}; a 503 while client-api reconnects to a restarted silo is retried (bounded).</summary>
    private static async Task<JsonNode> GetUserAsync(HttpClient http, string key, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await http.GetAsync($"/api/users/{Uri.EscapeDataString(key)}", ct);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt >= 120)
            {
                Assert.True(response.IsSuccessStatusCode, $"GET /api/users/{key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            }
            await Task.Delay(500, ct);
        }
    }

    private static async Task<int> SendAllAsync(HttpClient http, IReadOnlyList<string> events, CancellationToken ct)
    {
        var acknowledged = 0;
        await Parallel.ForEachAsync(events.Chunk(50), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (batch, token) =>
        {
            var body = $"{{\"batch\":[{string.Join(',', batch)}]}}";
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync("/v1/batch", content, token);
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Add(ref acknowledged, batch.Length);
                        return;
                    }
                    Assert.True((int)response.StatusCode >= 500, $"batch refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                {
                }
                Assert.True(attempt < 200, "a batch was never acknowledged");
                await Task.Delay(500, token);
            }
        });
        return acknowledged;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 480; attempt++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(250, ct);
        }
        Assert.Fail("the condition did not hold within 120 s");
    }

    /// <param name="Loop">Two aliases point at each other (a → b, b → a): whichever is applied first decides which id is the person.</param>
    private sealed record class Person(string Id, string[] Keys, int Events, bool Loop = false);

    /// <summary>A shuffled population with every merge case: anonymous history, identify, two devices, aliases, a loop.</summary>
    private sealed class Population
    {
        public List<string> Events { get; } = [];
        public List<Person> People { get; } = [];

        public static Population Create(string prefix, int people, int seed)
        {
            var population = new Population();
            var random = new Random(seed);
            var counter = 0;
            for (var i = 0; i < people; i++)
            {
                var user = $"{prefix}-user{i:D3}";
                var anon = $"{prefix}-anon{i:D3}";
                var keys = new List<string> { user, anon };
                var events = new List<string>();
                string Ev(string? userId, string? anonymousId, string type, DateTimeOffset at, string? name = null, JsonObject? properties = null,
                    string? campaign = null, JsonObject? traits = null, string? previousId = null)
                {
                    var json = new JsonObject
                    {
                        ["type"] = type,
                        ["messageId"] = $"{prefix}-m{++counter:D6}",
                        ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                        ["properties"] = properties ?? new JsonObject(),
                    };
                    if (userId is not null) { json["userId"] = userId; }
                    if (anonymousId is not null) { json["anonymousId"] = anonymousId; }
                    if (previousId is not null) { json["previousId"] = previousId; }
                    if (type == "track") { json["event"] = name; } else if (name is not null) { json["name"] = name; }
                    if (traits is not null) { json["traits"] = traits; }
                    if (campaign is not null)
                    {
                        json["context"] = new JsonObject { ["campaign"] = new JsonObject { ["name"] = campaign, ["source"] = "google", ["medium"] = "cpc" } };
                    }
                    var text = json.ToJsonString();
                    events.Add(text);
                    return text;
                }

                var start = Now.AddDays(-random.Next(5, 60)).AddMinutes(-random.Next(0, 600));
                // Anonymous visit from a campaign, signup started and email verified before the user id exists.
                Ev(null, anon, "page", start, name: "pricing", campaign: $"{prefix}-utm-{i % 3}");
                Ev(null, anon, "track", start.AddMinutes(1), name: "signup_started");
                Ev(null, anon, "track", start.AddMinutes(3), name: "email_verified");
                Ev(user, anon, "identify", start.AddMinutes(4), traits: new JsonObject { ["plan"] = "free", ["email"] = $"{user}@example.com" });
                for (var d = 0; d < random.Next(2, 6); d++)
                {
                    var day = start.AddDays(d).AddHours(1);
                    Ev(user, anon, "track", day, name: "session_started");
                    Ev(user, null, "track", day.AddMinutes(2), name: "sample_uploaded");
                    Ev(user, null, "track", day.AddMinutes(3), name: "analysis_completed", properties: new JsonObject { ["model"] = "genre_classification", ["model_version"] = "2.1", ["processing_time_ms"] = 900 });
                    Ev(null, anon, "track", day.AddMinutes(5), name: "feature_used", properties: new JsonObject { ["feature"] = $"f{random.Next(0, 5)}" }); // anonymous-only, later
                }
                if (i % 3 == 0)
                {
                    Ev(user, null, "track", start.AddDays(2), name: "payment_succeeded", properties: new JsonObject { ["amount"] = 19.99 });
                }
                if (i % 4 == 0)
                {
                    // A second device: its own anonymous id, identified later.
                    var device = $"{prefix}-device{i:D3}";
                    keys.Add(device);
                    Ev(null, device, "page", start.AddDays(1), name: "home", campaign: $"{prefix}-utm-mobile");
                    Ev(null, device, "track", start.AddDays(1).AddMinutes(1), name: "session_started");
                    Ev(user, device, "identify", start.AddDays(1).AddMinutes(2), traits: new JsonObject { ["plan"] = "free" });
                }
                if (i % 10 == 1)
                {
                    // An identified person from an older system, merged into this one by alias (person into person), then a loop.
                    var legacy = $"{prefix}-legacy{i:D3}";
                    keys.Add(legacy);
                    Ev(legacy, null, "track", start.AddMinutes(-30), name: "login");
                    Ev(legacy, null, "track", start.AddMinutes(-29), name: "payment_succeeded", properties: new JsonObject { ["amount"] = 5 });
                    Ev(user, null, "alias", start.AddMinutes(10), previousId: legacy);
                    if (i % 20 == 1)
                    {
                        Ev(legacy, null, "alias", start.AddMinutes(11), previousId: user); // b → a after a → b: one person, nothing lost
                    }
                }
                population.Events.AddRange(events);
                population.People.Add(new Person(user, [.. keys], events.Count, Loop: i % 20 == 1));
            }
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(population.Events));
            return population;
        }
    }
}
