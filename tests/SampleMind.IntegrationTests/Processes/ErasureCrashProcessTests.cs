using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SampleMind.IntegrationTests.Infrastructure;
using SampleMind.Privacy;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 17, "kill -9 of the silo mid-erasure": the test-only fault hook (<c>Privacy:Test:CrashAfterStage</c>,
/// <see cref="ErasureCrashHook"/>) kills the silo with SIGKILL once the erasure committed its subtraction stage; a silo
/// without the hook is started, its runner takes the job over when the lease runs out and finishes it. Then the person
/// answers 404, none of their rows is left in the tables that held them, reconcile finds no difference, and a re-posted
/// old batch of theirs answers 200 and does not bring them back.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ErasureCrashProcessTests(MergeCrashCluster fixture, ITestOutputHelper output) : IClassFixture<MergeCrashCluster>
{
    private const string Other = "erase-crash-other";

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Kill9_AfterTheSubtraction_ThenRestart_TheJobFinishes_AndNothingOfThePersonRemains()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = fixture.Cluster;
        const string person = "erase-crash-user";
        var day = Now.AddDays(-5);
        using var http = TestApiKeys.Client(fixture.ClientApi.BaseAddress, TimeSpan.FromSeconds(60));
        using var privacy = TestApiKeys.Client(fixture.ClientApi.BaseAddress, TimeSpan.FromSeconds(60), bearer: TestApiKeys.Privacy);

        // A short lease and poll: the restarted silo takes the crashed silo's job over within seconds.
        var common = Common;
        await StopSiloAsync(ct); // the job must reach the crashing silo, not a silo another case left running
        var crashing = cluster.StartSilo("silo-erase-crash", fixture.Ports,
            new Dictionary<string, string?>(common) { ["Privacy__Test__CrashAfterStage"] = nameof(ErasureStage.Subtracted) });
        await crashing.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        await fixture.ClientApi.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);

        var history = Batch(
            Event(1, "identify", day, person, traits: new JsonObject { ["plan"] = "free" }),
            Event(2, "track", day.AddMinutes(1), person, name: "sample_uploaded"),
            Event(3, "track", day.AddMinutes(2), person, name: "payment_succeeded", properties: new JsonObject { ["amount"] = 29 }));
        // Someone else on the same day: their share stays (and reconcile has a log to compare).
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Batch(
            Event(11, "track", day.AddHours(1), Other, name: "sample_uploaded"),
            Event(12, "track", day.AddHours(1).AddMinutes(1), Other, name: "payment_succeeded", properties: new JsonObject { ["amount"] = 49 })), ct));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, history, ct));
        Assert.Equal(3, await EventsAsync(cluster, person));

        // The erasure reaches "subtracted" and the silo kills itself: the DELETE answers 202 (or fails) with the job queued.
        using (var response = await privacy.DeleteAsync($"/api/users/{person}", ct))
        {
            Assert.True(response.StatusCode is HttpStatusCode.Accepted or >= HttpStatusCode.InternalServerError,
                $"DELETE: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
        var exit = await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.True(exit is not null, $"the silo still runs after the erasure\n{crashing.Describe()}");
        Assert.Contains(ErasureCrashHook.Marker + ErasureStage.Subtracted, crashing.StandardError, StringComparison.Ordinal);
        var job = await cluster.Database.ScalarAsync<Guid>("select id from erasure_jobs where user_id = @u", ("u", person));
        Assert.Equal("subtracted 3", await JobAsync(cluster, job)); // the subtraction is durable, the rows are not deleted yet
        Assert.Equal(3, await EventsAsync(cluster, person));

        var silo = fixture.Silo = cluster.StartSilo("silo-erase-restarted", fixture.Ports, common);
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        var state = await JobAsync(cluster, job);
        for (var i = 0; state != "done 3" && i < 240; i++) // the lease runs out after 2 s, the runner polls every 0.5 s
        {
            await Task.Delay(500, ct);
            state = await JobAsync(cluster, job);
        }
        Assert.Equal("done 3", state);

        using (var response = await http.GetAsync($"/api/users/{person}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        Assert.Equal(0, await EventsAsync(cluster, person));
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>("select count(*) from user_index where user_id = @k", ("k", person)));
        Assert.Equal(0L, await cluster.Database.ScalarAsync<long>(
            "select count(*) from orleans.grain_state where grain_id_ext = @k", ("k", person)));
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>("select count(*) from erasure_tombstones where job_id = @j", ("j", job)));
        Assert.Equal(2, await EventsAsync(cluster, Other));
        Assert.Empty(await TableScan.RowsHoldingAsync(cluster.Database, person));
        var reconciled = await cluster.AssertReconciledAsync(ct);

        // A retried old batch is acked and stored nowhere.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, history, ct));
        Assert.Equal(0, await EventsAsync(cluster, person));
        using (var response = await http.GetAsync($"/api/users/{person}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        output.WriteLine($"silo exit {exit}; job {job} done after a restart; reconcile: {reconciled.Trim().Split('\n')[^1]}");
    }

    [Fact]
    public async Task Erasure_OfAPersonWith100kEvents_LeavesNoRowOfTheirsInAnyTable()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = fixture.Cluster;
        const string person = "erase-big-person";
        const string bystander = "bystander-of-the-big-one";
        const int events = 100_000, perBatch = 500;
        await EnsureSiloAsync(ct);
        using var http = TestApiKeys.Client(fixture.ClientApi.BaseAddress, TimeSpan.FromSeconds(120));
        using var privacy = TestApiKeys.Client(fixture.ClientApi.BaseAddress, TimeSpan.FromSeconds(120), bearer: TestApiKeys.Privacy);

        // 100,000 events over 50 days (analyses, uploads and a payment a day), through /v1/batch as a client sends them.
        var start = Now.AddDays(-60);
        string Big(int i) => i % 2_000 == 0
            ? Event(i, "track", start.AddSeconds(i * 43.2), person, name: "payment_succeeded", properties: new JsonObject { ["amount"] = 10 }, prefix: "big")
            : Event(i, "track", start.AddSeconds(i * 43.2), person, name: i % 3 == 0 ? "sample_uploaded" : "analysis_completed",
                properties: new JsonObject { ["model"] = "m", ["model_version"] = "v1", ["processing_time_ms"] = i % 100 }, prefix: "big");
        await Parallel.ForEachAsync(Enumerable.Range(0, events / perBatch), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (b, token) =>
        {
            var status = await PostAsync(http, Batch([.. Enumerable.Range(b * perBatch, perBatch).Select(Big)]), token);
            Assert.Equal(HttpStatusCode.OK, status);
        });
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Batch(
            Event(1, "track", start.AddDays(1), bystander, name: "analysis_completed", properties: new JsonObject { ["model"] = "m", ["model_version"] = "v1", ["processing_time_ms"] = 5 }, prefix: "by"),
            Event(2, "track", start.AddDays(1).AddMinutes(1), bystander, name: "payment_succeeded", properties: new JsonObject { ["amount"] = 7 }, prefix: "by")), ct));
        Assert.Equal(events, await EventsAsync(cluster, person));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var job = await EraseAsync(privacy, person, ct);
        Assert.Equal($"done {events}", await WaitForJobAsync(cluster, job, ct));
        watch.Stop();

        await AssertGoneAsync(http, cluster, person, ct);
        Assert.Equal(2, await EventsAsync(cluster, bystander));
        var reconciled = await cluster.AssertReconciledAsync(ct);

        // The first batch again: acked, stored nowhere.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Batch([.. Enumerable.Range(0, perBatch).Select(Big)]), ct));
        await AssertGoneAsync(http, cluster, person, ct);
        output.WriteLine($"{events:N0} events erased in {watch.Elapsed.TotalSeconds:F1} s (job {job}); reconcile: {reconciled.Trim().Split('\n')[^1]}");
    }

    [Fact]
    public async Task Erasure_WhileThePersonKeepsSending_NothingOfTheirsIsStoredAfterIt_AndEveryPostIsAcked()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = fixture.Cluster;
        const string person = "erase-busy-person";
        const string bystander = "bystander-of-the-busy-one";
        await EnsureSiloAsync(ct);
        using var http = TestApiKeys.Client(fixture.ClientApi.BaseAddress, TimeSpan.FromSeconds(60));
        using var privacy = TestApiKeys.Client(fixture.ClientApi.BaseAddress, TimeSpan.FromSeconds(60), bearer: TestApiKeys.Privacy);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, Batch(
            Event(1, "track", Now.AddDays(-2), bystander, name: "sample_uploaded", prefix: "busy-by"),
            Event(2, "track", Now.AddDays(-2).AddMinutes(1), bystander, name: "payment_succeeded", properties: new JsonObject { ["amount"] = 19 }, prefix: "busy-by")), ct));

        // The person sends a batch of 10 new events every 20 ms, before, during and after the erasure.
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var answers = new List<HttpStatusCode>();
        var sent = 0;
        var sender = Task.Run(async () =>
        {
            while (!stopSending.IsCancellationRequested)
            {
                var first = Volatile.Read(ref sent);
                var batch = Batch([.. Enumerable.Range(first, 10).Select(i => Event(i, "track", Now.AddDays(-1).AddSeconds(i), person,
                    name: i % 5 == 0 ? "payment_succeeded" : "analysis_completed",
                    properties: i % 5 == 0 ? new JsonObject { ["amount"] = 3 } : new JsonObject { ["model"] = "busy", ["model_version"] = "v1", ["processing_time_ms"] = 4 },
                    prefix: "busy"))]);
                Interlocked.Add(ref sent, 10);
                answers.Add(await PostAsync(http, batch, CancellationToken.None));
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None);

        Assert.True(await Eventually.GetAsync(() => EventsAsync(cluster, person), n => n >= 200, TimeSpan.FromSeconds(60)) >= 200);
        var job = await EraseAsync(privacy, person, ct);
        var state = await WaitForJobAsync(cluster, job, ct);
        var afterDone = Volatile.Read(ref sent);
        // 100 more events after the job's end.
        Assert.True(await Eventually.GetAsync(() => Task.FromResult(Volatile.Read(ref sent)), n => n >= afterDone + 100, TimeSpan.FromSeconds(60)) >= afterDone + 100);
        await stopSending.CancelAsync();
        await sender;

        Assert.StartsWith("done ", state, StringComparison.Ordinal);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a));
        await AssertGoneAsync(http, cluster, person, ct);
        Assert.Equal(2, await EventsAsync(cluster, bystander));
        var reconciled = await cluster.AssertReconciledAsync(ct);
        output.WriteLine($"{sent} events sent in {answers.Count} batches (all 200); the job erased {state[5..]}; {sent - afterDone} sent after it; reconcile: {reconciled.Trim().Split('\n')[^1]}");
    }

    [Fact]
    public async Task CrashHook_IsRefused_InTheProductionEnvironment()
    {
        var ct = TestContext.Current.CancellationToken;
        var silo = fixture.Cluster.StartSilo("silo-production-erase-hook", SiloPorts.Free(),
            new Dictionary<string, string?> { ["Privacy__Test__CrashAfterStage"] = nameof(ErasureStage.Erasing) });
        var exit = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.True(exit is not null and not 0, $"the silo ran with the crash hook in Production\n{silo.Describe()}");
        var lines = silo.StandardError.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains("Privacy:Test:CrashAfterStage is a test-only fault hook", lines[0], StringComparison.Ordinal);
    }

    private static readonly Dictionary<string, string?> Common = new()
    {
        // A short lease and poll: a restarted silo takes a crashed silo's job over within seconds.
        ["ASPNETCORE_ENVIRONMENT"] = "Test", ["Privacy__JobLease"] = "00:00:02", ["Privacy__JobPollInterval"] = "00:00:00.500",
    };

    private async Task EnsureSiloAsync(CancellationToken ct)
    {
        if (fixture.Silo is not { HasExited: false })
        {
            fixture.Silo = fixture.Cluster.StartSilo("silo-erase", fixture.Ports, Common);
        }
        await fixture.Silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        await fixture.ClientApi.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
    }

    private async Task StopSiloAsync(CancellationToken ct)
    {
        if (fixture.Silo is { HasExited: false } silo)
        {
            Assert.Equal(0, await silo.StopGracefullyAsync(TimeSpan.FromSeconds(60), ct));
        }
        fixture.Silo = null;
    }

    /// <summary>DELETE /api/users/{id}: 200 (done within the wait) or 202 (queued) with the job; the job's id.</summary>
    private static async Task<Guid> EraseAsync(HttpClient privacy, string person, CancellationToken ct)
    {
        using var response = await privacy.DeleteAsync($"/api/users/{person}", ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, $"DELETE: {(int)response.StatusCode} {body}");
        return Guid.Parse(JsonNode.Parse(body)!["id"]!.GetValue<string>());
    }

    private static async Task<string> WaitForJobAsync(ProcessCluster cluster, Guid job, CancellationToken ct)
    {
        var state = await JobAsync(cluster, job);
        for (var i = 0; !state.StartsWith("done ", StringComparison.Ordinal) && i < 360; i++)
        {
            await Task.Delay(500, ct);
            state = await JobAsync(cluster, job);
        }
        return state;
    }

    /// <summary>404 for the person, and not one row of theirs in any table.</summary>
    private static async Task AssertGoneAsync(HttpClient http, ProcessCluster cluster, string person, CancellationToken ct)
    {
        using (var response = await http.GetAsync($"/api/users/{person}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        Assert.Equal(0, await EventsAsync(cluster, person));
        Assert.Empty(await TableScan.RowsHoldingAsync(cluster.Database, person));
    }

    private static Task<long> EventsAsync(ProcessCluster cluster, string key)
        => cluster.Database.ScalarAsync<long>("select count(*) from user_events where user_id = @k", ("k", key));

    private static async Task<string> JobAsync(ProcessCluster cluster, Guid job)
        => (await cluster.Database.RowsAsync(
            "select state || ' ' || coalesce(erased_events::text, '-') from erasure_jobs where id = @id", ("id", job))).Single();

    private static string Batch(params string[] events) => $"{{\"batch\":[{string.Join(',', events)}]}}";

    private static string Event(int n, string type, DateTimeOffset at, string userId, string? name = null,
        JsonObject? traits = null, JsonObject? properties = null, string prefix = "erase-crash")
    {
        var json = new JsonObject
        {
            ["type"] = type,
            ["messageId"] = $"{prefix}-m{n}",
            ["timestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["userId"] = userId,
            ["properties"] = properties ?? new JsonObject(),
        };
        if (type == "track") { json["event"] = name; }
        if (traits is not null) { json["traits"] = traits; }
        return json.ToJsonString();
    }

    /// <summary>One POST of /v1/batch; a transport error (the silo died under the call) reads as 502.</summary>
    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string body, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            HttpStatusCode status;
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await http.PostAsync("/v1/batch", content, ct);
                status = response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                status = HttpStatusCode.BadGateway;
            }
            if ((int)status < 500 || attempt >= 120)
            {
                return status;
            }
            await Task.Delay(500, ct);
        }
    }
}
