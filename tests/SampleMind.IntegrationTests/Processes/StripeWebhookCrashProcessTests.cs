using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SampleMind.Testing;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 15, "Must show": <c>kill -9</c> of the silo during a burst of signed webhooks. Every delivery answered 200
/// before the kill is applied exactly once after the restart without any retry (the 200 comes only once the event is
/// in the person's log); the deliveries that failed are retried as Stripe does, and then every event of the burst is
/// applied exactly once, the people's payments and MRR are exact, and after <c>reconcile --fix</c> (the aggregates'
/// unflushed deltas die with a silo) <c>reconcile --check</c> finds 0 differences.
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class StripeWebhookCrashProcessTests
{
    private const string Secret = "whsec_test_crash";
    private const int Customers = 20;
    private static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    private static async Task<HttpStatusCode?> DeliverAsync(HttpClient http, string payload, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeEvents.Sign(payload, Secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
            using var response = await http.SendAsync(request, ct);
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null; // no answer: Stripe counts it as a failure and retries
        }
    }

    /// <summary>Per customer i: a subscription of (i+1) × $10, raised to 2 seats, and three paid invoices of $10 × (i+1).</summary>
    private static List<(string Id, string Payload, string Person)> Burst()
    {
        var burst = new List<(string, string, string)>();
        for (var i = 0; i < Customers; i++)
        {
            var person = $"crash-{i:D2}";
            var spec = new SubscriptionSpec($"sub_c{i}", $"cus_c{i}", "active", 1000 * (i + 1), UserId: person);
            var at = Start.AddHours(i).ToUnixTimeSeconds();
            burst.Add(($"evt_c{i}_s1", StripeEvents.Subscription($"evt_c{i}_s1", "customer.subscription.created", at, spec), person));
            burst.Add(($"evt_c{i}_s2", StripeEvents.Subscription($"evt_c{i}_s2", "customer.subscription.updated", at + 86_400 * 3, spec with { Quantity = 2 }), person));
            for (var k = 0; k < 3; k++)
            {
                burst.Add(($"evt_c{i}_p{k}", StripeEvents.InvoicePaid($"evt_c{i}_p{k}", at + 60 + k * 86_400, $"cus_c{i}", 1000 * (i + 1)), person));
            }
        }
        return burst;
    }

    [Fact]
    public async Task Kill9OfTheSilo_DuringAWebhookBurst_EveryAcknowledgedEventIsAppliedExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var ports = SiloPorts.Free();
        var silo = cluster.StartSilo("silo", ports);
        var client = cluster.StartClientApi(settings: new Dictionary<string, string?> { ["Stripe__WebhookSecret"] = Secret });
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = new HttpClient { BaseAddress = client.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };

        // Each customer's mapping is its subscription's metadata; send each customer's first subscription event up
        // front so the burst's invoices are applied at once rather than on the mapping.
        var burst = Burst();
        foreach (var first in burst.Where(b => b.Id.EndsWith("_s1", StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.OK, await DeliverAsync(http, first.Payload, ct));
        }
        var random = new Random(9);
        var rest = burst.Where(b => !b.Id.EndsWith("_s1", StringComparison.Ordinal)).OrderBy(_ => random.Next()).ToList();

        // The burst: 4 senders, each delivery tried once here. The silo is killed after a third were answered, while the
        // others are in flight; a dozen more are sent into the dead silo; the rest wait for Stripe's retries below.
        var acknowledged = new ConcurrentBag<string>();
        var failed = new ConcurrentBag<string>();
        var next = -1;
        var answered = 0;
        var killAt = rest.Count / 3;
        var killedAtIndex = int.MaxValue;
        async Task SendAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < rest.Count)
            {
                if (i > (long)Volatile.Read(ref killedAtIndex) + 12)
                {
                    failed.Add(rest[i].Id); // not delivered yet: Stripe delivers it later
                    continue;
                }
                var status = await DeliverAsync(http, rest[i].Payload, ct);
                (status == HttpStatusCode.OK ? acknowledged : failed).Add(rest[i].Id);
                if (Interlocked.Increment(ref answered) == killAt)
                {
                    silo.Kill();
                    Volatile.Write(ref killedAtIndex, Volatile.Read(ref next));
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SendAsync()));
        Assert.NotEqual(int.MaxValue, killedAtIndex);
        Assert.True(failed.Count > 0, $"no delivery failed: the kill did not land in the burst ({acknowledged.Count} acknowledged)");
        var ackedBeforeRestart = acknowledged.ToHashSet(StringComparer.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"kill -9 after {killAt} answers: {acknowledged.Count} of {rest.Count} acknowledged, {failed.Count} failed or not yet sent");

        silo = cluster.StartSilo("silo-2", ports);
        await silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct);

        // Before any retry: every acknowledged event of the burst (and the 20 up-front ones) is in its person's log once.
        async Task<Dictionary<string, long>> AppliedAsync()
        {
            var applied = new Dictionary<string, long>(StringComparer.Ordinal);
            await using var command = cluster.Database.DataSource.CreateCommand(
                "select payload->'properties'->>'stripe_event_id', count(*) from user_events "
                + "where message_id like 'stripe-%' and payload->'properties'->>'stripe_event_id' like 'evt_c%' "
                + "and message_id not like '%-canceled' group by 1");
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                applied[reader.GetString(0)] = reader.GetInt64(1);
            }
            return applied;
        }
        var afterRestart = await AppliedAsync();
        Assert.All(ackedBeforeRestart, id => Assert.Equal(1, afterRestart.GetValueOrDefault(id)));
        Assert.All(afterRestart.Values, count => Assert.Equal(1, count));

        // Stripe retries what failed until it is answered 200.
        foreach (var id in failed)
        {
            var payload = rest.Single(r => r.Id == id).Payload;
            HttpStatusCode? status = null;
            for (var attempt = 0; attempt < 30 && status != HttpStatusCode.OK; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(1000, ct);
                }
                status = await DeliverAsync(http, payload, ct);
            }
            Assert.Equal(HttpStatusCode.OK, status);
        }
        var applied = await AppliedAsync();
        Assert.Equal(burst.Count, applied.Count);
        Assert.All(applied.Values, count => Assert.Equal(1, count));
        Assert.Equal(burst.Count, await cluster.Database.ScalarAsync<long>("select count(*) from stripe_events"));

        // The people: 3 payments of $10 × (i+1) each and MRR of 2 seats.
        using var api = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30));
        for (var i = 0; i < Customers; i++)
        {
            var person = await api.GetFromJsonAsync<JsonElement>($"/api/users/crash-{i:D2}", ct);
            Assert.Equal((3, 30m * (i + 1), 20m * (i + 1), 5L),
                (person.GetProperty("payments").GetInt32(), person.GetProperty("lifetimeRevenue").GetDecimal(),
                 person.GetProperty("mrr").GetDecimal(), person.GetProperty("eventsApplied").GetInt64()));
        }

        // The aggregates lost the dead silo's unflushed deltas: reconcile --fix recomputes them, then SQL agrees.
        var fix = await cluster.RunCliAsync(ct, "reconcile", "--fix", "--from", "2026-10-01", "--to", "2026-10-10");
        Assert.True(fix.ExitCode == 0, fix.Output);
        var check = await cluster.AssertReconciledAsync(ct);
        Assert.Contains("0 differences over 1 MRR months", check, StringComparison.Ordinal);
        var rows = await api.GetFromJsonAsync<JsonElement>("/api/revenue/mrr?from=2026-10-01&to=2026-10-10", ct);
        var expectedMrr = Enumerable.Range(1, Customers).Sum(i => 20m * i);
        Assert.Equal((expectedMrr, Customers), (rows[9].GetProperty("mrr").GetDecimal(), rows[9].GetProperty("customers").GetInt32()));
    }
}
