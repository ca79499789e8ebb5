using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 14, "Must show", with real processes: a client whose events PostgreSQL can never store (ids past the btree
/// limit or holding U+0000; U+0000 inside a property or an event name) next to four normal loaders: the loaders see
/// no failed batch, every poison request gets its own 400 (boundary limit) or 422 (the store's refusal) that never
/// says "retry", nothing of it is stored, and reconcile --check finds 0 differences. And the silo's admin
/// endpoints: no key is 401 off loopback (or with Silo:TrustLoopback off), a wrong key 403, health stays open, a
/// forced GC once per 10 s (429 with Retry-After).
/// </summary>
/// <remarks>
/// The poison goes through the public HTTP path. The ids are refused by the boundary's limits; the U+0000 inside a
/// property or a name passes them and is refused by PostgreSQL, so the event log's own defence is what answers.
/// </remarks>
[Collection(ProcessCollection.Name)]
public sealed class BlastRadiusProcessTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task PoisonRequests_GetTheirOwnPermanent422_AndNormalLoadersSeeNoFailedBatch()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var client = cluster.StartClientApi();
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30));

        var events = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            events.AddRange(EventBuilder.RealisticHistory($"normal-{i}", seed: i, Now.AddMinutes(-5)));
        }
        new Random(60).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));

        using var stopPoison = new CancellationTokenSource();
        var poison = PoisonAsync(http, stopPoison.Token);
        var failedBatches = 0;
        var batches = 0;
        string? firstFailure = null;
        await Parallel.ForEachAsync(events.Chunk(50), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (batch, token) =>
        {
            using var content = new StringContent($"{{\"batch\":[{string.Join(',', batch)}]}}", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/v1/batch", content, token);
            Interlocked.Increment(ref batches);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failedBatches);
                Interlocked.CompareExchange(ref firstFailure, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}", null);
            }
        });
        await stopPoison.CancelAsync();
        var (poisonRequests, poisonAnswers) = await poison;

        TestContext.Current.TestOutputHelper?.WriteLine($"normal batches {batches}, failed {failedBatches}; poison requests {poisonRequests}, answers {string.Join(", ", poisonAnswers.Select(a => $"{a.Key}×{a.Value}"))}");
        Assert.True(failedBatches == 0, $"{failedBatches} of {batches} normal batches failed; first: {firstFailure}");
        Assert.True(poisonRequests >= 10, $"only {poisonRequests} poison requests were sent during the load");
        Assert.Equal(poisonRequests, poisonAnswers.GetValueOrDefault(400) + poisonAnswers.GetValueOrDefault(422));
        Assert.Equal(events.Count, await cluster.Database.ScalarAsync<long>("select count(*) from user_events"));
        Assert.Equal(0, await cluster.Database.ScalarAsync<long>("select count(*) from user_events where message_id like 'poison-%' or user_id like 'poison%'"));
        await AssertReconciledAsync(cluster, ct);
    }

    /// <summary>
    /// Every 50 ms one request with one event that can never be stored, four kinds in turn: a userId of 4,000
    /// characters and a userId with U+0000 (refused at the boundary: 400 naming the field), a U+0000 in a property and
    /// in the event name (refused by PostgreSQL itself: 422 naming the messageId and SQLSTATE, never "retry").
    /// </summary>
    private static async Task<(int Requests, Dictionary<int, int> Answers)> PoisonAsync(HttpClient http, CancellationToken stop)
    {
        var random = new Random(14);
        var answers = new Dictionary<int, int>();
        var requests = 0;
        while (!stop.IsCancellationRequested)
        {
            const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            var message = $"poison-{requests}";
            var kind = requests % 4;
            var (user, name, note) = kind switch
            {
                0 => ("poison" + new string([.. Enumerable.Range(0, 4_000).Select(_ => alphabet[random.Next(alphabet.Length)])]), "login", "fine"),
                1 => ($"poison\\u0000{requests}", "login", "fine"),
                2 => ("poison-victim", "login", "a\\u0000b"),
                _ => ("poison-victim", "log\\u0000in", "fine"),
            };
            var body = $$"""{"batch":[{"type":"track","messageId":"{{message}}","userId":"{{user}}","event":"{{name}}","properties":{"note":"{{note}}"},"timestamp":"{{Now:O}}"}]}""";
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/v1/batch", content, CancellationToken.None);
            requests++;
            var status = (int)response.StatusCode;
            answers[status] = answers.GetValueOrDefault(status) + 1;
            Assert.Equal(kind < 2 ? 400 : 422, status);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False(response.Headers.Contains("Retry-After"));
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None))!;
            if (kind < 2)
            {
                Assert.NotNull(problem["errors"]!["batch[0].userId"]);
            }
            else
            {
                Assert.Equal("RefusedByStore", problem["problem"]!.GetValue<string>());
                Assert.Contains("will not succeed on retry", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Equal(message, problem["refused"]![0]!["messageId"]!.GetValue<string>());
                Assert.Equal(kind == 2 ? "22P05" : "22021", problem["refused"]![0]!["sqlState"]!.GetValue<string>());
            }
            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return (requests, answers);
    }

    [Fact]
    public async Task SiloAdminEndpoints_NeedTheKeyOffLoopback_AndTheForcedGcIsRateLimited()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var ports = SiloPorts.Free();
        var silo = cluster.StartSilo("silo", ports, new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{ports.HttpPort}", // reachable on the machine's own address too
            ["SAMPLEMIND_Silo__AdminKey"] = "silo-admin-key",
        });
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);

        // Loopback: trusted by default (bench), and health is open.
        using var loopback = new HttpClient { BaseAddress = silo.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await loopback.GetAsync("/diagnostics/runtime", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await loopback.GetAsync("/dashboard", ct)).StatusCode);

        // Off loopback (the machine's own non-loopback address): no key 401, wrong key 403, the key 200; health open.
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        using var remote = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://{address}:{ports.HttpPort}") };
        // /metrics has its own gate (Metrics:AllowRemote / Metrics:Key, off here): 403 off loopback.
        Assert.Equal(HttpStatusCode.Forbidden, (await remote.GetAsync("/metrics", ct)).StatusCode);
        foreach (var path in new[] { "/diagnostics/runtime", "/dashboard" })
        {
            using var none = await remote.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(remote, path, "wrong-key", ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(remote, "/diagnostics/runtime", "silo-admin-key", ct)).StatusCode);
        // (the dashboard may redirect to its page: a redirect is not followed here, a followed one would drop the key)
        Assert.InRange((int)(await SendAsync(remote, "/dashboard", "silo-admin-key", ct)).StatusCode, 200, 399);
        Assert.Equal(HttpStatusCode.OK, (await remote.GetAsync("/health/live", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await remote.GetAsync("/diagnostics/runtime?gc=full", ct)).StatusCode);

        // The forced GC: the first 200 (and says so), the next within 10 s 429 with Retry-After, even with the key.
        using var first = await SendAsync(remote, "/diagnostics/runtime?gc=full", "silo-admin-key", ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(JsonNode.Parse(await first.Content.ReadAsStringAsync(ct))!["forcedFullGc"]!.GetValue<bool>());
        using var second = await loopback.GetAsync("/diagnostics/runtime?gc=full", ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.InRange(second.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 10);
        Assert.Equal(HttpStatusCode.OK, (await loopback.GetAsync("/diagnostics/runtime", ct)).StatusCode); // without gc: not limited

        // Configured closed: loopback is no longer trusted.
        Assert.Equal(0, await silo.StopGracefullyAsync(TimeSpan.FromSeconds(60), ct));
        silo = cluster.StartSilo("silo-closed", ports, new Dictionary<string, string?> { ["SAMPLEMIND_Silo__TrustLoopback"] = "false" });
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, (await loopback.GetAsync("/diagnostics/runtime", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await loopback.GetAsync("/dashboard", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await loopback.GetAsync("/health/ready", ct)).StatusCode);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request, ct);
    }

    private static Task AssertReconciledAsync(ProcessCluster cluster, CancellationToken ct) => cluster.AssertReconciledAsync(ct);

    private static Task<(int ExitCode, string Output)> CliAsync(ProcessCluster cluster, CancellationToken ct, params string[] args)
        => cluster.RunCliAsync(ct, args);
}
