using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 3, "Must show": while a client sends batches over HTTP, <c>kill -9</c> the silo and restart it with
/// <c>./run.sh up</c>. Every event acknowledged with a 2xx is reflected exactly once; after the client retries what
/// failed (same messageIds) the state equals everything sent, exactly once, and the grains agree with the event log.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class CrashRecoveryProcessTests(ITestOutputHelper output)
{
    private const int Users = 300;
    private const int Senders = 4;
    private const int EventsPerBatch = 50;
    private const int AckedBatchesBeforeKill = 24;
    private const int AckedBatchesAfterRestart = 24;
    private const int RefusedWhileDown = 4;
    private static readonly TimeSpan PhaseBound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Kill9OfTheSilo_WhileBatchesStreamIn_LosesNoAcknowledgedEvent_AndRetriesMakeStateEqualEverythingSent_ExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        await using var stack = await RunShStack.CreateAsync(ct);
        await stack.UpAsync(ct);
        var siloBefore = stack.PidOf("silo");
        var clientApiPid = stack.PidOf("client-api");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s stack up (silo pid {siloBefore}, client-api pid {clientApiPid})");

        using var http = TestApiKeys.Client(stack.ClientApiAddress, TimeSpan.FromSeconds(60));
        // The senders give up on a request after 10 s, as Segment's libraries do: calls in flight at the kill are only
        // answered (503) after Orleans' 30 s response timeout, and the senders must keep sending through the outage.
        using var senderHttp = TestApiKeys.Client(stack.ClientApiAddress, TimeSpan.FromSeconds(10));
        var userIds = Enumerable.Range(0, Users).Select(i => $"crash-u{i:D3}").ToArray();
        var tally = new Tally();
        using var stop = new CancellationTokenSource();

        // 1. Four senders stream batches of 50 events over 300 users, each batch sent once; the outcome is tallied.
        var senders = Enumerable.Range(0, Senders)
            .Select(s => Task.Run(() => SendUntilStoppedAsync(senderHttp, s, userIds, tally, stop.Token), ct))
            .ToArray();

        await WaitUntilAsync(() => tally.AckedBatches >= AckedBatchesBeforeKill, "acknowledged batches before the kill", tally, stack);
        var ackedAtKill = tally.AckedBatches;

        // 2. kill -9 the silo mid-stream, then restart it the way a user does: ./run.sh up starts only the dead silo.
        await stack.KillAsync("silo", ct);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s kill -9 silo pid {siloBefore} after {ackedAtKill} acknowledged batches ({tally.Describe()})");
        // The senders keep sending into the outage: wait until some batches were refused while no silo ran.
        await WaitUntilAsync(() => tally.FailedBatches.Count >= Senders + RefusedWhileDown, "batches refused while the silo is down", tally, stack);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s while the silo is down: {tally.Describe()}");
        var (upExit, upOutput) = await stack.RunAsync("up", ct);
        Assert.True(upExit == 0, $"./run.sh up after the kill exited {upExit}:\n{upOutput}\n{stack.DescribeLogs()}");
        Assert.Contains("starting silo", upOutput, StringComparison.Ordinal);
        Assert.Contains("client-api already running", upOutput, StringComparison.Ordinal);
        Assert.NotEqual(siloBefore, stack.PidOf("silo"));
        Assert.Equal(clientApiPid, stack.PidOf("client-api"));
        var ackedAtRestart = tally.AckedBatches;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s ./run.sh up restarted the silo (pid {stack.PidOf("silo")}; {tally.Describe()})");

        // 3. Keep sending until enough batches are acknowledged by the restarted silo, then stop the senders.
        await WaitUntilAsync(() => tally.AckedBatches >= ackedAtRestart + AckedBatchesAfterRestart, "acknowledged batches after the restart", tally, stack);
        await stop.CancelAsync();
        await Task.WhenAll(senders);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s senders stopped: {tally.Describe()}");
        Assert.True(tally.FailedBatches.Count > 0, $"no batch failed: the kill did not happen mid-stream ({tally.Describe()})");
        output.WriteLine("failed batches: " + string.Join("; ", tally.Failures.GroupBy(f => f.Status)
            .Select(g => $"{g.Count()} × {g.Key} (after {g.Min(f => f.Seconds):0.0}–{g.Max(f => f.Seconds):0.0} s)")));

        // A batch the client gave up on may still be finishing in the cluster: wait until the log stops growing.
        await WaitForQuietLogAsync(stack);

        // 4. Before any retry: acked ≤ eventsApplied ≤ sent for every user, and every grain agrees with its log.
        var rows = await RowsPerUserAsync(stack);
        var applied = await EventsAppliedAsync(http, userIds, ct);
        foreach (var user in userIds)
        {
            var acked = tally.AckedEvents(user);
            var sent = tally.SentEvents(user);
            Assert.True(acked <= applied[user] && applied[user] <= sent,
                $"{user}: acknowledged {acked}, eventsApplied {applied[user]}, sent {sent}");
            Assert.Equal(rows.GetValueOrDefault(user), applied[user]);
        }

        var storedBeforeRetry = rows.Values.Sum();
        var totalAcked = userIds.Sum(tally.AckedEvents);
        output.WriteLine($"before retry: sent {tally.SentEventCount} events in {tally.SentBatches} batches, acknowledged {totalAcked} events "
            + $"in {tally.AckedBatches} batches, failed {tally.FailedBatches.Count} batches ({tally.FailedBatches.Sum(b => b.Events.Count)} events), "
            + $"stored (log rows = Σ eventsApplied) {storedBeforeRetry}");

        // 5. The client retries every failed batch, unchanged (same messageIds), until it is acknowledged.
        var retries = 0;
        foreach (var batch in tally.FailedBatches)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                retries++;
                var (ok, status) = await PostAsync(http, batch.Body, ct);
                if (ok)
                {
                    break;
                }

                Assert.True(deadline.Elapsed < PhaseBound, $"batch {batch.Id} not acknowledged within {PhaseBound.TotalSeconds:0} s of retries (last: {status})\n{stack.DescribeLogs()}");
                await Task.Delay(250, ct);
            }
        }

        // 6. Exactly everything sent, once: per user (grain and log), in total, and message by message.
        rows = await RowsPerUserAsync(stack);
        applied = await EventsAppliedAsync(http, userIds, ct);
        foreach (var user in userIds)
        {
            Assert.True(tally.SentEvents(user) == applied[user], $"{user}: sent {tally.SentEvents(user)}, eventsApplied {applied[user]}");
            Assert.True(tally.SentEvents(user) == rows.GetValueOrDefault(user), $"{user}: sent {tally.SentEvents(user)}, log rows {rows.GetValueOrDefault(user)}");
        }

        Assert.Equal((long)tally.SentEventCount, await stack.Database.ScalarAsync<long>("SELECT count(*) FROM user_events"));
        var storedIds = (await stack.Database.RowsAsync("SELECT user_id || ' ' || message_id FROM user_events")).ToHashSet(StringComparer.Ordinal);
        Assert.True(tally.SentKeys().SetEquals(storedIds), "the stored (user, messageId) pairs differ from the sent ones");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s after retry: {retries} retry requests for {tally.FailedBatches.Count} failed batches; "
            + $"user_events {storedIds.Count} rows = sent {tally.SentEventCount}; eventsApplied = sent for all {Users} users");
    }

    private static async Task SendUntilStoppedAsync(HttpClient http, int sender, string[] userIds, Tally tally, CancellationToken stop)
    {
        var random = new Random(1000 + sender);
        var now = DateTimeOffset.UtcNow;
        for (var number = 0; !stop.IsCancellationRequested; number++)
        {
            var batch = Batch.Create($"s{sender}-b{number:D4}", userIds, random, now);
            var started = Stopwatch.GetTimestamp();
            var (ok, status) = await PostAsync(http, batch.Body, CancellationToken.None);
            tally.Record(batch, ok, status, Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (!ok)
            {
                // The stack is down: do not flood it with batches that can only fail.
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    /// <summary>One send: 2xx or not. A timeout or a refused connection is "not acknowledged", like a 503.</summary>
    private static async Task<(bool Ok, string Status)> PostAsync(HttpClient http, string body, CancellationToken ct)
    {
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/v1/batch", content, ct);
            return (response.IsSuccessStatusCode, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (false, ex.GetType().Name);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, Tally tally, RunShStack stack)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < PhaseBound, $"no {what} within {PhaseBound.TotalSeconds:0} s ({tally.Describe()})\n{stack.DescribeLogs()}");
            await Task.Delay(100);
        }
    }

    private static async Task WaitForQuietLogAsync(RunShStack stack)
    {
        var clock = Stopwatch.StartNew();
        var last = -1L;
        while (true)
        {
            var count = await stack.Database.ScalarAsync<long>("SELECT count(*) FROM user_events");
            if (count == last)
            {
                return;
            }

            Assert.True(clock.Elapsed < PhaseBound, $"user_events still grows after {PhaseBound.TotalSeconds:0} s with no sender left");
            last = count;
            await Task.Delay(2000);
        }
    }

    private static async Task<Dictionary<string, long>> RowsPerUserAsync(RunShStack stack)
    {
        var rows = await stack.Database.RowsAsync("SELECT user_id, count(*) FROM user_events GROUP BY user_id");
        return rows.Select(r => r.Split('\t')).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    /// <summary>eventsApplied of every user through GET /api/users/{id}; 0 for a 404 (no event applied).</summary>
    private static async Task<Dictionary<string, long>> EventsAppliedAsync(HttpClient http, string[] userIds, CancellationToken ct)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(userIds.Select(async user =>
        {
            await gate.WaitAsync(ct);
            try
            {
                using var response = await http.GetAsync($"/api/users/{user}", ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                long applied = response.StatusCode switch
                {
                    HttpStatusCode.NotFound => 0,
                    HttpStatusCode.OK => JsonDocument.Parse(body).RootElement.GetProperty("eventsApplied").GetInt64(),
                    _ => throw new Xunit.Sdk.XunitException($"GET /api/users/{user} answered {(int)response.StatusCode}: {body}"),
                };
                lock (result)
                {
                    result[user] = applied;
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return result;
    }

    private sealed record class Batch(string Id, string Body, IReadOnlyList<(string User, string MessageId)> Events)
    {
        private static readonly string[] Names = ["login", "session_started", "sample_uploaded", "feature_used", "analysis_completed"];

        public static Batch Create(string id, string[] userIds, Random random, DateTimeOffset now)
        {
            var events = new List<(string, string)>(EventsPerBatch);
            var array = new JsonArray();
            for (var i = 0; i < EventsPerBatch; i++)
            {
                var user = userIds[random.Next(userIds.Length)];
                var messageId = $"{id}-e{i:D2}";
                events.Add((user, messageId));
                array.Add(new JsonObject
                {
                    ["type"] = "track",
                    ["messageId"] = messageId,
                    ["userId"] = user,
                    ["event"] = Names[random.Next(Names.Length)],
                    ["timestamp"] = now.AddMinutes(-random.Next(0, 3 * 24 * 60)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    ["properties"] = new JsonObject { ["feature"] = $"f{random.Next(12)}" },
                });
            }

            return new Batch(id, new JsonObject { ["batch"] = array }.ToJsonString(), events);
        }
    }

    /// <summary>What the client knows: every batch sent, and whether it got a 2xx.</summary>
    private sealed class Tally
    {
        private readonly Lock _gate = new();
        private readonly List<Batch> _sent = [];
        private readonly List<Batch> _failed = [];
        private readonly Dictionary<string, int> _sentPerUser = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _ackedPerUser = new(StringComparer.Ordinal);
        private int _acked;

        public int AckedBatches
        {
            get { lock (_gate) { return _acked; } }
        }

        public int SentBatches
        {
            get { lock (_gate) { return _sent.Count; } }
        }

        public int SentEventCount
        {
            get { lock (_gate) { return _sent.Sum(b => b.Events.Count); } }
        }

        public IReadOnlyList<Batch> FailedBatches
        {
            get { lock (_gate) { return [.. _failed]; } }
        }

        /// <summary>How each failed batch failed: its HTTP status or exception, and how long the request took.</summary>
        public List<(string Status, double Seconds)> Failures { get; } = [];

        public void Record(Batch batch, bool acknowledged, string status, double seconds)
        {
            lock (_gate)
            {
                if (!acknowledged)
                {
                    Failures.Add((status, seconds));
                }

                _sent.Add(batch);
                foreach (var (user, _) in batch.Events)
                {
                    _sentPerUser[user] = _sentPerUser.GetValueOrDefault(user) + 1;
                    if (acknowledged)
                    {
                        _ackedPerUser[user] = _ackedPerUser.GetValueOrDefault(user) + 1;
                    }
                }

                if (acknowledged)
                {
                    _acked++;
                }
                else
                {
                    _failed.Add(batch);
                }
            }
        }

        public long SentEvents(string user)
        {
            lock (_gate) { return _sentPerUser.GetValueOrDefault(user); }
        }

        public long AckedEvents(string user)
        {
            lock (_gate) { return _ackedPerUser.GetValueOrDefault(user); }
        }

        public HashSet<string> SentKeys()
        {
            lock (_gate) { return _sent.SelectMany(b => b.Events).Select(e => $"{e.User} {e.MessageId}").ToHashSet(StringComparer.Ordinal); }
        }

        public string Describe()
        {
            lock (_gate) { return $"sent {_sent.Count} batches, acknowledged {_acked}, failed {_failed.Count}"; }
        }
    }
}
