using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SampleMind.Testing;

namespace SampleMind.IntegrationTests.Processes;

/// <summary>
/// Issue 15 with real processes: a month of subscription changes (SimulatedStripeMonth) delivered as signed webhooks in
/// a shuffled order with replays, one customer mapped to its person only afterwards, by the trait stripe_customer_id of
/// the person's identify (a later metadata and another person's trait naming a mapped customer change nothing): GET /api/revenue/mrr equals the
/// independent computation in the test, reconcile --check (SQL straight over stripe_events) finds 0 differences, the
/// 360° view shows the subscription as Stripe says it is, and with Revenue:Source = stripe the KPI revenue columns are
/// Stripe's invoice.paid minus refunds (a payment the product reported is not counted).
/// </summary>
[Collection(SecondProcessCollection.Name)]
public sealed class StripeMrrProcessTests
{
    private const string Secret = "whsec_test_mrr";
    private static readonly DateTimeOffset Start = new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);

    private static async Task DeliverAsync(HttpClient http, string payload, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeEvents.Sign(payload, Secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        using var response = await http.SendAsync(request, ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static string Rows(IEnumerable<(DateOnly Date, decimal Mrr, decimal New, decimal Expansion, decimal Contraction, decimal Churn, decimal Reactivation, decimal Net, int Customers)> rows)
        => string.Join("\n", rows.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Date:yyyy-MM-dd} mrr {r.Mrr} new {r.New} exp {r.Expansion} con {r.Contraction} churn {r.Churn} react {r.Reactivation} net {r.Net} customers {r.Customers}")));

    /// <summary>The expected rows of the 30 days, from the independent per-person computation.</summary>
    private static string ExpectedRows()
    {
        var movements = SimulatedStripeMonth.ExpectedMovements(Start);
        decimal mrr = 0;
        var customers = 0;
        var rows = new List<(DateOnly, decimal, decimal, decimal, decimal, decimal, decimal, decimal, int)>();
        for (var i = 0; i < 30; i++)
        {
            var date = DateOnly.FromDateTime(Start.AddDays(i).UtcDateTime);
            var m = movements.GetValueOrDefault(date.DayNumber) ?? new decimal[8];
            var net = m[0] + m[1] + m[2] + m[3] + m[4];
            mrr += net;
            customers += (int)(m[5] + m[6] - m[7]);
            rows.Add((date, mrr, m[0], m[1], m[2], m[3], m[4], net, customers));
        }
        return Rows(rows);
    }

    private static string LiveRows(JsonElement rows) => Rows(rows.EnumerateArray().Select(r => (
        DateOnly.ParseExact(r.GetProperty("date").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
        r.GetProperty("mrr").GetDecimal(), r.GetProperty("new").GetDecimal(), r.GetProperty("expansion").GetDecimal(),
        r.GetProperty("contraction").GetDecimal(), r.GetProperty("churn").GetDecimal(), r.GetProperty("reactivation").GetDecimal(),
        r.GetProperty("net").GetDecimal(), r.GetProperty("customers").GetInt32())));

    [Fact]
    public async Task ASimulatedMonthOfWebhooks_InAnyOrder_GivesTheIndependentlyComputedMovements_AndSqlAgrees()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ProcessCluster.CreateAsync(ct);
        var silo = cluster.StartSilo("silo", SiloPorts.Free(), new Dictionary<string, string?> { ["Revenue__Source"] = "stripe" });
        var client = cluster.StartClientApi(settings: new Dictionary<string, string?> { ["Stripe__WebhookSecret"] = Secret });
        await Task.WhenAll(silo.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct), client.WaitForReadyAsync(ProcessCluster.ReadyTimeout, ct));
        using var http = new HttpClient { BaseAddress = client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var api = TestApiKeys.Client(client.BaseAddress, TimeSpan.FromSeconds(30));

        // The month's subscription events, shuffled, every fifth one delivered twice (Stripe's retries).
        var random = new Random(15);
        var payloads = SimulatedStripeMonth.Changes(Start)
            .Select(c => StripeEvents.Subscription(c.EventId, c.Type, c.Created, c.Spec))
            .OrderBy(_ => random.Next()).ToList();
        for (var i = 0; i < payloads.Count; i++)
        {
            await DeliverAsync(http, payloads[i], ct);
            if (i % 5 == 0)
            {
                await DeliverAsync(http, payloads[i], ct);
            }
        }
        // Payments of person-a on day 1 and 2, refunds of the first charge (cumulative 10 then 15), and a payment the
        // product itself reported on day 1 (counted by Revenue:Source = events only).
        var day1 = Start.AddHours(12).ToUnixTimeSeconds();
        await DeliverAsync(http, StripeEvents.InvoicePaid("evt_pay_1", day1, "cus_a", 2900), ct);
        await DeliverAsync(http, StripeEvents.ChargeRefunded("evt_ref_2", day1 + 86_400, "cus_a", "ch_1", 2900, 1500), ct);
        await DeliverAsync(http, StripeEvents.ChargeRefunded("evt_ref_1", day1 + 60, "cus_a", "ch_1", 2900, 1000), ct);
        await DeliverAsync(http, StripeEvents.ChargeRefunded("evt_ref_2", day1 + 86_400, "cus_a", "ch_1", 2900, 1500), ct);
        var own = new EventBuilder("person-a").Track("payment_succeeded", Start.AddHours(13), new { amount = 100 });
        using (var response = await api.PostAsync("/v1/track", new StringContent(own, Encoding.UTF8, "application/json"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // person-g's subscription is stored but not applied: its customer is not mapped yet.
        using (var before = await api.GetAsync($"/api/users/{SimulatedStripeMonth.UnmappedPerson}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        }
        // Mapped only by the trait stripe_customer_id of the person's identify (sent twice: its stored events count once).
        // Then a customer event whose metadata names someone else, and an identify of someone else naming cus_d (mapped
        // by metadata to person-d): the first mapping of a customer wins, neither remaps it.
        var g = new EventBuilder(SimulatedStripeMonth.UnmappedPerson);
        var other = new EventBuilder("person-x");
        foreach (var identify in new[]
        {
            g.Identify(Start.AddDays(29), new { stripe_customer_id = SimulatedStripeMonth.UnmappedCustomer }),
            g.Identify(Start.AddDays(29).AddHours(1), new { stripe_customer_id = SimulatedStripeMonth.UnmappedCustomer, plan = "pro" }),
            other.Identify(Start.AddDays(29), new { stripe_customer_id = "cus_d" }),
        })
        {
            using var response = await api.PostAsync("/v1/identify", new StringContent(identify, Encoding.UTF8, "application/json"), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await DeliverAsync(http, StripeEvents.Customer("evt_cus_g", Start.AddDays(29).ToUnixTimeSeconds(), SimulatedStripeMonth.UnmappedCustomer, "person-x"), ct);
        Assert.Equal("cus_d person-d|cus_g person-g", await cluster.Database.ScalarAsync<string>(
            "select string_agg(customer_id || ' ' || user_id, '|' order by customer_id) from stripe_customers where customer_id in ('cus_d', 'cus_g')"));

        // Live through the rollups: the month's rows equal the independent computation once the flushes land.
        var expected = ExpectedRows();
        var live = "";
        for (var attempt = 0; attempt < 60 && live != expected; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(500, ct);
            }
            live = LiveRows(await api.GetFromJsonAsync<JsonElement>("/api/revenue/mrr?from=2026-09-01&to=2026-09-30", ct));
        }
        Assert.Equal(expected, live);
        Assert.EndsWith("mrr 286.33 new 0 exp 0 con 0 churn 0 react 0 net 0 customers 6", live, StringComparison.Ordinal);

        var summary = await api.GetFromJsonAsync<JsonElement>("/api/revenue/summary?date=2026-09-30", ct);
        Assert.Equal((286.33m, 3435.96m, 6), (summary.GetProperty("mrr").GetDecimal(), summary.GetProperty("arr").GetDecimal(), summary.GetProperty("customers").GetInt32()));

        // SQL over the stored Stripe events agrees (and the KPI oracle with Stripe as the revenue source).
        var reconciled = await cluster.AssertReconciledAsync(ct, "--revenue-source", "stripe");
        Assert.Contains("0 differences over 1 MRR months", reconciled, StringComparison.Ordinal);

        // The 360° view: the subscription as Stripe says it is.
        var d = await api.GetFromJsonAsync<JsonElement>("/api/users/person-d", ct);
        Assert.Equal(100m, d.GetProperty("mrr").GetDecimal());
        var sub = Assert.Single(d.GetProperty("stripeSubscriptions").EnumerateArray());
        Assert.Equal(("sub_d", "active", 100m, true, "pro_month"), (sub.GetProperty("id").GetString(), sub.GetProperty("status").GetString(),
            sub.GetProperty("mrr").GetDecimal(), sub.GetProperty("cancelAtPeriodEnd").GetBoolean(), sub.GetProperty("plan").GetString()));
        var mappedByTrait = await api.GetFromJsonAsync<JsonElement>($"/api/users/{SimulatedStripeMonth.UnmappedPerson}", ct);
        Assert.Equal(15m, mappedByTrait.GetProperty("mrr").GetDecimal());
        Assert.Equal("sub_g", Assert.Single(mappedByTrait.GetProperty("stripeSubscriptions").EnumerateArray()).GetProperty("id").GetString());
        var x = await api.GetFromJsonAsync<JsonElement>("/api/users/person-x", ct);
        Assert.Equal((0m, 0), (x.GetProperty("mrr").GetDecimal(), x.GetProperty("stripeSubscriptions").GetArrayLength()));
        var b = await api.GetFromJsonAsync<JsonElement>("/api/users/person-b", ct);
        Assert.Equal((0m, "canceled"), (b.GetProperty("mrr").GetDecimal(), b.GetProperty("stripeSubscriptions")[0].GetProperty("status").GetString()));
        var a = await api.GetFromJsonAsync<JsonElement>("/api/users/person-a", ct);
        Assert.Equal((58m, 15m, 129m), (a.GetProperty("mrr").GetDecimal(), a.GetProperty("refunded").GetDecimal(), a.GetProperty("lifetimeRevenue").GetDecimal()));

        // Revenue:Source = stripe: day 1 = 29 paid − 10 refunded (the product's own 100 not counted), day 2 = −5 (refund only).
        var kpis = await api.GetFromJsonAsync<JsonElement>("/api/kpis?from=2026-09-01&to=2026-09-02", ct);
        Assert.Equal((19m, 1, 19m), (kpis[0].GetProperty("dailyRevenue").GetDecimal(), kpis[0].GetProperty("payingCustomers").GetInt32(), kpis[0].GetProperty("arpu").GetDecimal()));
        Assert.Equal((-5m, 0), (kpis[1].GetProperty("dailyRevenue").GetDecimal(), kpis[1].GetProperty("payingCustomers").GetInt32()));
    }
}
