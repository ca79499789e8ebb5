using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
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
        var common = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Test", ["Privacy__JobLease"] = "00:00:02", ["Privacy__JobPollInterval"] = "00:00:00.500",
        };
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

    private static Task<long> EventsAsync(ProcessCluster cluster, string key)
        => cluster.Database.ScalarAsync<long>("select count(*) from user_events where user_id = @k", ("k", key));

    private static async Task<string> JobAsync(ProcessCluster cluster, Guid job)
        => (await cluster.Database.RowsAsync(
            "select state || ' ' || coalesce(erased_events::text, '-') from erasure_jobs where id = @id", ("id", job))).Single();

    private static string Batch(params string[] events) => $"{{\"batch\":[{string.Join(',', events)}]}}";

    private static string Event(int n, string type, DateTimeOffset at, string userId, string? name = null,
        JsonObject? traits = null, JsonObject? properties = null)
    {
        var json = new JsonObject
        {
            ["type"] = type,
            ["messageId"] = $"erase-crash-m{n}",
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
