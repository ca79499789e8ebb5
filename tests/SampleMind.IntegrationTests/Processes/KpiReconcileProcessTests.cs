using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 5, "Must show", with real processes: after loading a population, `samplemind reconcile --check` finds zero
/// differences; still zero after a graceful silo restart; after kill -9 of the silo during a load and
/// `reconcile --fix`, zero again (Time to First Value and the Quality Score among the columns, issue 19.4). An event's
/// effect shows in GET /api/kpis within a (generous) bound.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class KpiReconcileProcessTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Reconcile_FindsNoDifference_AfterLoad_AfterGracefulRestart_AndAfterKill9PlusFix()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var ports = SiloPorts.Free();
        var silo = cluster.StartSilo("silo", ports);
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = Http(client.BaseAddress);

        // A population: 50 users × 70 days of history, shuffled across batches of 100.
        var first = Population("a", 50);
        Assert.Equal(first.Count, await SendAllAsync(http, first, ct));
        await AssertReconciledAsync(cluster, ct);

        // The signup day's TTFV counts every person (each has analyses) and the feedback days' ratings are all in.
        var signupDay = DateOnly.FromDateTime(Now.AddMinutes(-5).AddDays(-70).UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var signupRow = JsonNode.Parse(await http.GetStringAsync($"/api/kpis?from={signupDay}&to={signupDay}", ct))![0]!;
        Assert.Equal(50, signupRow["newSignups"]!.GetValue<int>());
        Assert.Equal(50, signupRow["ttfvPeople"]!.GetValue<int>());
        Assert.True(signupRow["ttfvMedianSeconds"]!.GetValue<long>() <= signupRow["ttfvP90Seconds"]!.GetValue<long>());
        var window = $"from={DateOnly.FromDateTime(Now.AddDays(-75).UtcDateTime):yyyy-MM-dd}&to={DateOnly.FromDateTime(Now.UtcDateTime):yyyy-MM-dd}";
        var rows = JsonNode.Parse(await http.GetStringAsync($"/api/kpis?{window}", ct))!.AsArray();
        Assert.Equal(50 * RatingsPerUser, rows.Sum(r => r!["ratings"]!.GetValue<int>()));

        // Graceful restart: snapshots written, pre-aggregators flushed; still exact.
        Assert.Equal(0, await silo.StopGracefullyAsync(TimeSpan.FromSeconds(60), ct));
        silo = cluster.StartSilo("silo-2", ports);
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        await AssertReconciledAsync(cluster, ct);

        // kill -9 in the middle of a load: the in-memory deltas of that moment are lost, the log is not.
        var second = Population("b", 50);
        var load = SendAllAsync(http, second, ct);
        await WaitUntilAsync(async () => await cluster.Database.ScalarAsync<long>("select count(*) from user_events") > first.Count + 2_000, ct);
        silo.Kill();
        silo = cluster.StartSilo("silo-3", ports);
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        Assert.Equal(second.Count, await load); // the sender retries what failed, with the same messageIds
        Assert.Equal(first.Count + second.Count, await cluster.Database.ScalarAsync<long>("select count(*) from user_events"));

        var from = DateOnly.FromDateTime(Now.AddDays(-75).UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = DateOnly.FromDateTime(Now.AddDays(7).UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var fix = await CliAsync(cluster, ct, "reconcile", "--fix", "--from", from, "--to", to);
        Assert.True(fix.ExitCode == 0, fix.Output);
        await AssertReconciledAsync(cluster, ct);
    }

    [Fact]
    public async Task AnEventsEffect_ShowsInTheKpis_AndBadRangesAreProblems()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = Http(client.BaseAddress);
        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        var before = await TodayAsync(http, today, ct);
        var builder = new EventBuilder("fresh-user");
        var sent = await SendAllAsync(http, [builder.Track("analysis_completed", DateTimeOffset.UtcNow.AddSeconds(-1), new { processing_time_ms = 1200, accuracy = 0.9 })], ct);
        Assert.Equal(1, sent);

        JsonNode? after = null;
        await WaitUntilAsync(async () => (after = await TodayAsync(http, today, ct))!["dau"]!.GetValue<int>() == before!["dau"]!.GetValue<int>() + 1, ct);
        Assert.Equal(before!["totalAnalyses"]!.GetValue<int>() + 1, after!["totalAnalyses"]!.GetValue<int>());

        // The same event reaches the segment distribution (an explorer-to-be: 1 analysis, free plan) and the user index.
        await WaitUntilAsync(async () =>
        {
            var segments = JsonNode.Parse(await http.GetStringAsync($"/api/segments?from={today}&to={today}", ct))![0]!;
            var risk = JsonNode.Parse(await http.GetStringAsync("/api/risk?segment=explorers&limit=1000", ct))!;
            return segments["counts"]!["explorers"]!.GetValue<int>() == 1
                && risk["items"]!.AsArray().Select(i => i!["userId"]!.GetValue<string>()).SequenceEqual(["fresh-user"]);
        }, ct);

        var badQueries = new[] { ("from=2026-13-01&to=2026-12-01", "from"), ("from=2026-11-02&to=2026-11-01", "from"), ("from=2020-01-01&to=2026-01-01", "to"), ("to=yesterday", "to") }
            .SelectMany(q => new[] { ($"/api/kpis?{q.Item1}", q.Item2), ($"/api/segments?{q.Item1}", q.Item2) })
            .Concat([("/api/risk?level=EXTREME", "level"), ("/api/risk?segment=whales", "segment"), ("/api/risk?limit=0", "limit"), ("/api/risk?minLtv=-5", "minLtv")]);
        foreach (var (query, field) in badQueries)
        {
            using var response = await http.GetAsync(query, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            Assert.NotNull(problem["errors"]![field]);
        }
    }

    private static async Task<JsonNode?> TodayAsync(HttpClient http, string today, CancellationToken ct)
        => JsonNode.Parse(await http.GetStringAsync($"/api/kpis?from={today}&to={today}", ct))![0];

    private static Task AssertReconciledAsync(ProcessCluster cluster, CancellationToken ct) => cluster.AssertReconciledAsync(ct);

    private static Task<(int ExitCode, string Output)> CliAsync(ProcessCluster cluster, CancellationToken ct, params string[] args)
        => cluster.RunCliAsync(ct, args);

    private const int RatingsPerUser = 3;

    private static List<string> Population(string prefix, int users)
    {
        var events = new List<string>();
        for (var i = 0; i < users; i++)
        {
            events.AddRange(EventBuilder.RealisticHistory($"{prefix}{i}", seed: i, Now.AddMinutes(-5)));
            // Rated feedback on three days (1-5, and one rating off the scale that no figure counts).
            var feedback = new EventBuilder($"{prefix}{i}", messagePrefix: $"{prefix}{i}-feedback");
            for (var f = 0; f <= RatingsPerUser; f++)
            {
                var rating = f == RatingsPerUser ? 9 : 1 + ((i + f) % 5);
                events.Add(feedback.Track("analysis_feedback", Now.AddDays(-60 + (f * 9) + (i % 7)).AddMinutes(-5),
                    new { model = "genre_classification", model_version = "2.1", rating, correct = rating >= 4 }));
            }
        }
        new Random(users).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        return events;
    }

    /// <summary>Sends every event in batches of 100, retrying a batch (same messageIds) until it is acknowledged; returns the events acknowledged.</summary>
    private static async Task<int> SendAllAsync(HttpClient http, IReadOnlyList<string> events, CancellationToken ct)
    {
        var acknowledged = 0;
        await Parallel.ForEachAsync(events.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (batch, token) =>
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
        for (var attempt = 0; attempt < 240; attempt++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(250, ct);
        }
        Assert.Fail("the condition did not hold within 60 s");
    }

    private static HttpClient Http(Uri baseAddress)
    {
        var http = TestApiKeys.Client(baseAddress, TimeSpan.FromSeconds(15));
        return http;
    }
}
