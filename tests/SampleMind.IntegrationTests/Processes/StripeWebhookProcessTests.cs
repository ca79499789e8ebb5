using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 15.1 with real processes: Stripe deliveries signed exactly as Stripe signs them (<c>t=…,v1=</c>, HMAC-SHA256 of
/// <c>"{t}.{payload}"</c> with the endpoint secret) in Stripe's documented event shape. A delivery and its retries are
/// stored once; a tampered body, a stale timestamp, a wrong secret, no signature or a signed non-event are 400
/// ProblemDetails and store nothing; a rotated-out secret still verifies while both are configured; an unhandled type is
/// 200 and not stored.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class StripeWebhookProcessTests
{
    private const string Secret = "whsec_test_current";
    private const string OldSecret = "whsec_test_previous";

    /// <summary>An invoice.paid event in the shape of Stripe's API reference (trimmed to the fields the model reads).</summary>
    private static string InvoicePaid(string id, long created) => """
        {"id":"@ID","object":"event","api_version":"2024-06-20","created":@CREATED,"livemode":false,"pending_webhooks":1,
         "request":{"id":null,"idempotency_key":null},"type":"invoice.paid",
         "data":{"object":{"id":"in_@ID","object":"invoice","customer":"cus_42","subscription":"sub_42","amount_paid":3499,"currency":"usd","status":"paid",
           "lines":{"object":"list","data":[{"id":"il_1","object":"line_item","amount":3499,"currency":"usd","quantity":1,
             "period":{"start":@CREATED,"end":@END}}],"has_more":false,"url":"/v1/invoices/in_@ID/lines"}}}}
        """.Replace("@ID", id, StringComparison.Ordinal).Replace("@CREATED", created.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("@END", (created + 2_592_000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>The Stripe-Signature header: t=timestamp,v1=hex(HMAC-SHA256(secret, "{t}.{payload}")).</summary>
    private static string Sign(string payload, string secret, long timestamp)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp.ToString(CultureInfo.InvariantCulture)}.{payload}"));
        return $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(mac)}";
    }

    private static async Task<HttpResponseMessage> DeliverAsync(HttpClient http, string payload, string? signature, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }
        return await http.SendAsync(request, ct);
    }

    [Fact]
    public async Task SignedDeliveries_AreStoredOnce_AndEveryBadSignatureIs400WithNothingStored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free());
        var client = cluster.StartClientApi(settings: new Dictionary<string, string?> { ["Stripe__WebhookSecret"] = $"{Secret}, {OldSecret}" });
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = new HttpClient { BaseAddress = client.BaseAddress };
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        async Task<long> StoredAsync() => await cluster.Database.ScalarAsync<long>("select count(*) from stripe_events");

        // A delivery, then Stripe's retries of it (new timestamps, same event): stored once.
        var paid = InvoicePaid("evt_1", now - 60);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var response = await DeliverAsync(http, paid, Sign(paid, Secret, now + attempt), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal(attempt == 0, answer.GetProperty("stored").GetBoolean());
        }
        Assert.Equal(1, await StoredAsync());
        Assert.Equal(("invoice.paid", 3499L), (await cluster.Database.ScalarAsync<string>("select type from stripe_events where id = 'evt_1'"),
            await cluster.Database.ScalarAsync<long>("select (payload->'data'->'object'->>'amount_paid')::bigint from stripe_events where id = 'evt_1'")));

        // The secret being rotated out still verifies while it is configured.
        var second = InvoicePaid("evt_2", now - 30);
        using (var rotated = await DeliverAsync(http, second, Sign(second, OldSecret, now), ct))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }
        Assert.Equal(2, await StoredAsync());

        // Refused, nothing stored: tampered body, stale timestamp (> 300 s), wrong secret, no header, a signed non-event.
        var fresh = InvoicePaid("evt_3", now);
        var notAnEvent = """{"hello":"world"}""";
        foreach (var (name, body, signature) in new (string, string, string?)[]
        {
            ("tampered", fresh.Replace("3499", "1"), Sign(fresh, Secret, now)),
            ("stale", fresh, Sign(fresh, Secret, now - 301)),
            ("wrong secret", fresh, Sign(fresh, "whsec_someone_else", now)),
            ("no signature", fresh, null),
            ("garbage header", fresh, "not-a-signature"),
            ("not an event", notAnEvent, Sign(notAnEvent, Secret, now)),
        })
        {
            using var response = await DeliverAsync(http, body, signature, ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(2, await StoredAsync());

        // An event type the revenue model does not read: 200, not stored.
        var unhandled = """{"id":"evt_9","object":"event","api_version":"2024-06-20","created":@NOW,"livemode":false,"type":"payout.paid","data":{"object":{"id":"po_1","object":"payout"}}}"""
            .Replace("@NOW", now.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using (var response = await DeliverAsync(http, unhandled, Sign(unhandled, Secret, now), ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False((await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("stored").GetBoolean());
        }
        Assert.Equal(2, await StoredAsync());

        // Customer → person: the two invoices of cus_42 were kept unapplied (no mapping); the customer event carrying
        // metadata.user_id maps it and applies them; a later failed payment lands at once; retries change nothing.
        using var api = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(10));
        using (var before = await api.GetAsync("/api/users/stripe-person-1", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        }
        var customer = """{"id":"evt_c1","object":"event","api_version":"2024-06-20","created":@NOW,"livemode":false,"type":"customer.created","data":{"object":{"id":"cus_42","object":"customer","email":"p1@example.com","metadata":{"user_id":"stripe-person-1"}}}}"""
            .Replace("@NOW", now.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var failed = """{"id":"evt_f1","object":"event","api_version":"2024-06-20","created":@NOW,"livemode":false,"type":"invoice.payment_failed","data":{"object":{"id":"in_f1","object":"invoice","customer":"cus_42","amount_due":3499,"currency":"usd","status":"open"}}}"""
            .Replace("@NOW", now.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        foreach (var payload in new[] { customer, failed, customer, paid, failed })
        {
            using var response = await DeliverAsync(http, payload, Sign(payload, Secret, now), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var person = await api.GetFromJsonAsync<JsonElement>("/api/users/stripe-person-1", ct);
        Assert.Equal(3, person.GetProperty("eventsApplied").GetInt64());
        Assert.Equal(2, person.GetProperty("payments").GetInt32());
        Assert.Equal(69.98m, person.GetProperty("lifetimeRevenue").GetDecimal());
        Assert.Equal(1, person.GetProperty("paymentFailures").GetArrayLength());
        Assert.Equal(3, await cluster.Database.ScalarAsync<long>("select count(*) from user_events where user_id = 'stripe-person-1' and message_id like 'stripe-%'"));
        Assert.Equal("stripe-person-1", await cluster.Database.ScalarAsync<string>("select user_id from stripe_customers where customer_id = 'cus_42'"));
    }
}
